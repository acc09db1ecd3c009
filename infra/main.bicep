// PushFunctions on Azure: Flex Consumption Function App (.NET isolated worker, runtime dotnet-isolated 10.0),
// Azure SignalR Service (Serverless, Entra-only), Azure Managed Redis (Entra), storage,
// Application Insights + Log Analytics, user-assigned identities and role assignments.
//
// tests/Deployment.Tests compiles and lints this file with the Bicep CLI (NuGet package
// Azure.Bicep.CommandLine.linux-x64) and requires zero warnings; main.bicepparam is checked with
// `bicep build-params`. Never deployed from here: see docs/DEPLOY.md, "Not verified".
//
// scripts/deploy.sh runs the passes of a deployment in order (docs/DEPLOY.md): this template, the package
// (artifacts/pushfunctions.zip), then the host keys (the host must be running to accept them: a Flex app
// without a package has no running host).
//
// SignalR Service and the function app need each other: the app's settings carry SignalR Service's endpoint,
// SignalR Service's upstream carries the app's host name. SignalR Service is put first (signalR below), the app
// second, then signalr-upstream.bicep puts SignalR Service again with the upstream on the app's defaultHostName.

targetScope = 'resourceGroup'

import { SignalRDefinition, upstreamTemplate } from 'signalr-upstream.bicep'

// ---------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------

@description('Azure region for every resource.')
param location string = resourceGroup().location

@description('Function App name.')
@minLength(2)
@maxLength(40)
param appName string

@description('SignalR hub name (app setting SignalRHubName).')
param hubName string = 'push'

@description('Server keys the main backend may send (x-functions-key or ?code=), comma-separated, first = current. Each becomes a host key pushserver-<index> and the app setting PushServerKeys.')
@secure()
@minLength(16)
param pushServerKeys string

@description('Session token signing keys, comma-separated, at least 32 characters each; the first signs, all verify (app setting SessionSigningKeys).')
@secure()
@minLength(32)
param sessionSigningKeys string

@description('The function app\'s default host name as Azure reports it now; empty on the first deployment. SignalR Service\'s first PUT keeps its upstream there, so no connection event is lost while the deployment runs; the second PUT (signalr-upstream.bicep) sets it from the app\'s defaultHostName. scripts/deploy.sh reads it with az functionapp show.')
param currentAppHostName string = ''

@description('Create the host keys pushserver-<i> from pushServerKeys. Leave false on the first deployment (no package yet, the host cannot store keys); set true after the package is published.')
param deployServerHostKeys bool = false

@description('Browser origins allowed to call the browser routes and to connect to SignalR Service, e.g. [ \'https://app.example.com\' ].')
param corsAllowedOrigins array = []

@description('Flex Consumption instance memory in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Flex Consumption maximum instance count.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Always-ready instances for the http group (0 = pure pay-per-use, with cold starts; 1 = billed baseline, no cold start).')
@minValue(0)
@maxValue(20)
param alwaysReadyInstances int = 0

@description('Azure SignalR Service SKU. Free_F1: 20 connections, 20k messages/day, no SLA; managed identity on Free is unverified.')
@allowed([
  'Free_F1'
  'Standard_S1'
  'Premium_P1'
])
param signalRSku string = 'Standard_S1'

@description('SignalR units (Standard/Premium: 1 unit = 1,000 concurrent connections).')
@minValue(1)
@maxValue(100)
param signalRCapacity int = 1

@description('Audience (aud) of the Entra token SignalR Service sends to the upstream route. Empty = the Function App identity client id. Use an app registration\'s App ID URI if that is your policy.')
param upstreamAudience string = ''

@description('Azure Managed Redis SKU.')
param redisSku string = 'Balanced_B0'

@description('Azure Managed Redis high availability (Disabled halves the cost; a node failure then loses data).')
@allowed([
  'Enabled'
  'Disabled'
])
param redisHighAvailability string = 'Enabled'

@description('Redis data persistence: AOF (written every second: a restart loses at most about a second of writes, which clients see as a stream sent back a few seqs), RDB (hourly snapshots: up to an hour lost), None (a restart loses everything: every user signs in again). Sessions, streams and presence are state, not cache.')
@allowed([
  'AOF'
  'RDB'
  'None'
])
param redisPersistence string = 'AOF'

@description('Redis auth: Entra (access keys disabled, app uses RedisEntraClientId) or AccessKey (password in RedisConnectionString; fallback for clients without ACL user support).')
@allowed([
  'Entra'
  'AccessKey'
])
param redisAuthMode string = 'Entra'

@description('Optional principal (object id) of a CI or operator identity that uploads packages to the deployment container. Empty = none.')
param deployerPrincipalId string = ''

@description('Principal type of deployerPrincipalId.')
@allowed([
  'ServicePrincipal'
  'User'
  'Group'
])
param deployerPrincipalType string = 'ServicePrincipal'

@description('Log Analytics retention in days.')
@minValue(30)
@maxValue(730)
param logRetentionDays int = 30

@description('Action group the monitoring alerts notify (resource id); empty: the alerts fire in the portal only.')
param alertActionGroupId string = ''

@description('Tags for every resource.')
param tags object = {}

// ---------------------------------------------------------------------------------------------
// Names and constants
// ---------------------------------------------------------------------------------------------

var suffix = uniqueString(resourceGroup().id, appName)
var storageAccountName = 'st${suffix}'
var deploymentContainerName = 'app-package-${take(toLower(appName), 32)}'
var serverKeyList = split(pushServerKeys, ',')
var redisPort = 10000

// Built-in role definition ids (Azure built-in roles).
var roleIds = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  signalRServiceOwner: '7e4f1700-ea5a-4f59-8f37-079cfe29dce3'
}

// ---------------------------------------------------------------------------------------------
// Identities
// ---------------------------------------------------------------------------------------------

// The Function App's identity: storage, SignalR REST + client-token keys, Redis, App Insights.
resource appIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: 'id-${appName}'
  location: location
  tags: tags
}

// SignalR Service's identity: only used to obtain the token it sends to the upstream route.
// Separate from appIdentity so the app can tell the service's calls from anything else.
resource signalRIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: 'id-${appName}-signalr'
  location: location
  tags: tags
}

var effectiveUpstreamAudience = empty(upstreamAudience) ? appIdentity.properties.clientId : upstreamAudience

// ---------------------------------------------------------------------------------------------
// Storage (AzureWebJobsStorage over Entra + Flex deployment container)
// ---------------------------------------------------------------------------------------------

resource storage 'Microsoft.Storage/storageAccounts@2025-06-01' = {
  name: storageAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-06-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

// ---------------------------------------------------------------------------------------------
// Monitoring
// ---------------------------------------------------------------------------------------------

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2025-07-01' = {
  name: 'log-${appName}'
  location: location
  tags: tags
  properties: {
    retentionInDays: logRetentionDays
    sku: {
      name: 'PerGB2018'
    }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-${appName}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    DisableLocalAuth: true
  }
}

// The app's workbook and its two first alerts (live pushes failing, dependency unavailable): monitoring.bicep.
module monitoring 'monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    appInsightsName: appInsights.name
    alertActionGroupId: alertActionGroupId
    tags: tags
  }
}

// ---------------------------------------------------------------------------------------------
// Azure SignalR Service (Serverless, Entra only, upstream -> the app with managed identity auth)
// ---------------------------------------------------------------------------------------------

// Both PUTs of the resource send this one definition, each with its upstream (signalr-upstream.bicep says why).
var signalRDefinition SignalRDefinition = {
  name: 'sigr-${appName}'
  location: location
  tags: tags
  kind: 'SignalR'
  sku: {
    name: signalRSku
    capacity: signalRCapacity
  }
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${signalRIdentity.id}': {}
    }
  }
  properties: {
    features: [
      {
        flag: 'ServiceMode'
        value: 'Serverless'
      }
    ]
    disableLocalAuth: true
    disableAadAuth: false
    publicNetworkAccess: 'Enabled'
    cors: {
      allowedOrigins: empty(corsAllowedOrigins) ? [ '*' ] : corsAllowedOrigins
    }
    tls: {
      clientCertEnabled: false
    }
  }
}

resource signalR 'Microsoft.SignalRService/signalR@2024-03-01' = {
  name: signalRDefinition.name
  location: signalRDefinition.location
  tags: signalRDefinition.tags
  kind: signalRDefinition.kind
  sku: signalRDefinition.sku
  identity: signalRDefinition.identity
  properties: union(signalRDefinition.properties, {
    upstream: {
      templates: empty(currentAppHostName) ? [] : [ upstreamTemplate(currentAppHostName, effectiveUpstreamAudience) ]
    }
  })
}

// The second PUT: the same definition with the upstream on the app's real host name. It follows the first
// through the app, whose settings read signalR's host name (the linter calls a dependsOn on signalR redundant).
module signalRUpstream 'signalr-upstream.bicep' = {
  name: 'signalr-upstream'
  params: {
    definition: signalRDefinition
    appHostName: functionApp.properties.defaultHostName
    upstreamAudience: effectiveUpstreamAudience
  }
}

// ---------------------------------------------------------------------------------------------
// Azure Managed Redis (Microsoft.Cache/redisEnterprise) with Entra access
// ---------------------------------------------------------------------------------------------

resource redis 'Microsoft.Cache/redisEnterprise@2025-07-01' = {
  name: 'redis-${appName}'
  location: location
  tags: tags
  sku: {
    name: redisSku
  }
  properties: {
    minimumTlsVersion: '1.2'
    highAvailability: redisHighAvailability
    publicNetworkAccess: 'Enabled'
  }
}

resource redisDatabase 'Microsoft.Cache/redisEnterprise/databases@2025-07-01' = {
  parent: redis
  name: 'default'
  properties: {
    clientProtocol: 'Encrypted'
    port: redisPort
    // Single endpoint; the app's multi-key scripts use hash tags anyway (DESIGN.md).
    clusteringPolicy: 'EnterpriseCluster'
    // Streams, sessions and presence are state, not cache: never evict, and keep them across restarts.
    evictionPolicy: 'NoEviction'
    persistence: redisPersistence == 'AOF'
      ? { aofEnabled: true, aofFrequency: '1s' }
      : redisPersistence == 'RDB' ? { rdbEnabled: true, rdbFrequency: '1h' } : { aofEnabled: false, rdbEnabled: false }
    accessKeysAuthentication: redisAuthMode == 'Entra' ? 'Disabled' : 'Enabled'
  }
}

resource redisAccess 'Microsoft.Cache/redisEnterprise/databases/accessPolicyAssignments@2025-07-01' = {
  parent: redisDatabase
  // Name pattern ^[A-Za-z0-9]{1,60}$ (bicep-types-az redisenterprise 2025-07-01): no hyphens.
  name: replace(guid(redisDatabase.id, appIdentity.id, 'default'), '-', '')
  properties: {
    accessPolicyName: 'default'
    user: {
      objectId: appIdentity.properties.principalId
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Flex Consumption plan + Function App (runtime dotnet-isolated 10.0, the standard publish package)
// ---------------------------------------------------------------------------------------------

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: 'asp-${appName}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

var redisHost = '${redis.properties.hostName}:${redisPort}'
var redisConnectionString = redisAuthMode == 'Entra'
  ? '${redisHost},ssl=True,abortConnect=False'
  : '${redisHost},password=${redisDatabase.listKeys().primaryKey},ssl=True,abortConnect=False'

// Every name the app reads is in README.md's settings table. Flex Consumption rejects or ignores
// FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION, WEBSITE_RUN_FROM_PACKAGE and the
// content-share settings (its documented deprecations): the worker runtime (dotnet-isolated) and
// its version are functionAppConfig.runtime below, so none of them is set here.
// ARM replaces this list wholesale on every deployment: keep the full set here.
var appSettings = [
  // Functions host
  {
    name: 'AzureWebJobsStorage__accountName'
    value: storage.name
  }
  {
    name: 'AzureWebJobsStorage__credential'
    value: 'managedidentity'
  }
  {
    name: 'AzureWebJobsStorage__clientId'
    value: appIdentity.properties.clientId
  }
  {
    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
    value: appInsights.properties.ConnectionString
  }
  {
    name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
    value: 'ClientId=${appIdentity.properties.clientId};Authorization=AAD'
  }
  // Azure.Identity default (ManagedIdentityCredential / DefaultAzureCredential)
  {
    name: 'AZURE_CLIENT_ID'
    value: appIdentity.properties.clientId
  }
  // The app (README.md, "Configuration")
  {
    name: 'AzureSignalRConnectionString'
    value: 'Endpoint=https://${signalR.properties.hostName};AuthType=azure.msi;ClientId=${appIdentity.properties.clientId};Version=1.0;'
  }
  {
    name: 'SignalRHubName'
    value: hubName
  }
  {
    name: 'SignalRUpstreamAudience'
    value: effectiveUpstreamAudience
  }
  {
    name: 'SignalRUpstreamTenantId'
    value: tenant().tenantId
  }
  {
    name: 'SignalRUpstreamClientId'
    value: signalRIdentity.properties.clientId
  }
  {
    name: 'RedisConnectionString'
    value: redisConnectionString
  }
  {
    name: 'RedisEntraClientId'
    value: redisAuthMode == 'Entra' ? appIdentity.properties.clientId : ''
  }
  {
    name: 'PushServerKeys'
    value: pushServerKeys
  }
  {
    name: 'SessionSigningKeys'
    value: sessionSigningKeys
  }
]

resource functionApp 'Microsoft.Web/sites@2025-03-01' = {
  name: appName
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${appIdentity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      // The platform answers CORS preflights itself; they never reach the app.
      cors: {
        allowedOrigins: corsAllowedOrigins
        supportCredentials: true
      }
      appSettings: appSettings
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: appIdentity.id
          }
        }
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        alwaysReady: alwaysReadyInstances > 0
          ? [
              {
                name: 'http'
                instanceCount: alwaysReadyInstances
              }
            ]
          : []
      }
    }
  }
  dependsOn: [
    deploymentContainer
    storageBlobOwner
    redisAccess
  ]
}

// Server keys as host keys, so the host itself rejects keyless calls to authLevel=function
// routes (the app checks PushServerKeys as well). No Bicep types exist for this resource
// (warning BCP081, silenced for this one line); it fails while the host has no package.
#disable-next-line BCP081
resource serverHostKeys 'Microsoft.Web/sites/host/functionKeys@2025-03-01' = [
  for (key, i) in serverKeyList: if (deployServerHostKeys) {
    name: '${functionApp.name}/default/pushserver-${i}'
    properties: {
      name: 'pushserver-${i}'
      value: trim(key)
    }
  }
]

// ---------------------------------------------------------------------------------------------
// Role assignments
// ---------------------------------------------------------------------------------------------

// Host storage + deployment container (Flex reads the package with this identity).
resource storageBlobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: storage
  name: guid(storage.id, appIdentity.id, roleIds.storageBlobDataOwner)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataOwner)
    principalId: appIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// Optional CI/operator upload rights on the deployment container only.
resource deployerBlobContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  scope: deploymentContainer
  name: guid(deploymentContainer.id, deployerPrincipalId, roleIds.storageBlobDataContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataContributor)
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
  }
}

// App Insights with DisableLocalAuth: telemetry ingestion needs Entra.
resource appInsightsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: appInsights
  name: guid(appInsights.id, appIdentity.id, roleIds.monitoringMetricsPublisher)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.monitoringMetricsPublisher)
    principalId: appIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// REST API (send, groups, close) and temporary access keys for client tokens (negotiate).
resource signalROwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: signalR
  name: guid(signalR.id, appIdentity.id, roleIds.signalRServiceOwner)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.signalRServiceOwner)
    principalId: appIdentity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// ---------------------------------------------------------------------------------------------
// Outputs (no keys, secrets or connection strings)
// ---------------------------------------------------------------------------------------------

@description('Base URL the main backend calls; routes are <appUrl>/api/...')
output appUrl string = 'https://${functionApp.properties.defaultHostName}'

@description('Function App name (for az functionapp commands).')
output functionAppName string = functionApp.name

@description('SignalR hub name.')
output hubName string = hubName

@description('SignalR Service endpoint (no credentials).')
output signalREndpoint string = 'https://${signalR.properties.hostName}'

@description('Upstream URL template configured on SignalR Service (on the app\'s defaultHostName).')
output upstreamUrlTemplate string = signalRUpstream.outputs.upstreamUrlTemplate

@description('Blob container Flex runs the package from.')
output deploymentContainerUrl string = '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'

@description('Client id of the Function App identity.')
output appIdentityClientId string = appIdentity.properties.clientId
