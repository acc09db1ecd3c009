// Parameters of one PushFunctions deployment (docs/DEPLOY.md). Edit the values below for yours.
// The two secrets are never written in a file: they are read from the deploying shell's
// environment (export PUSH_SERVER_KEYS and SESSION_SIGNING_KEYS first), so this file holds none.
using './main.bicep'

param appName = 'pushfunctions-prod'
param hubName = 'push'
param corsAllowedOrigins = [
  'https://app.example.com'
]

param instanceMemoryMB = 2048
param maximumInstanceCount = 40
param alwaysReadyInstances = 0

param signalRSku = 'Standard_S1'
param signalRCapacity = 1

param redisSku = 'Balanced_B0'
param redisHighAvailability = 'Enabled'
param redisPersistence = 'AOF'
param redisAuthMode = 'Entra'

// false on the first deployment (no package, no running host to store keys); then true.
// scripts/deploy.sh keeps it false and sets the host keys with the Azure CLI instead.
param deployServerHostKeys = false

// The app's host name as Azure reports it now, empty on the first deployment: scripts/deploy.sh reads it and
// passes it (declared here so that the command line's value reaches the template).
param currentAppHostName = ''

param pushServerKeys = readEnvironmentVariable('PUSH_SERVER_KEYS')
param sessionSigningKeys = readEnvironmentVariable('SESSION_SIGNING_KEYS')
