// The second PUT of PushFunctions' Azure SignalR Service resource: the same definition main.bicep sent in the
// first, with the upstream pointed at the function app's real default host name, which exists only once the app
// does. The app's settings need SignalR Service's endpoint, so the app comes after the first PUT and this module
// after the app.
//
// A PUT replaces the whole resource: anything left out here would be reset to the service's default (local auth
// back on, the service mode back to Default). So this file sets nothing of its own but the upstream: every other
// field comes from the one SignalRDefinition object main.bicep also gives its own declaration, and
// tests/Deployment.Tests checks in the compiled template that both PUTs send that object's fields.

@export()
@description('Everything one PUT of the SignalR Service resource carries.')
type SignalRDefinition = {
  name: string
  location: string
  tags: object
  kind: resourceInput<'Microsoft.SignalRService/signalR@2024-03-01'>.kind
  sku: resourceInput<'Microsoft.SignalRService/signalR@2024-03-01'>.sku
  identity: resourceInput<'Microsoft.SignalRService/signalR@2024-03-01'>.identity
  properties: resourceInput<'Microsoft.SignalRService/signalR@2024-03-01'>.properties
}

@export()
@description('The one upstream template PushFunctions uses: every hub, category and event to the app\'s upstream route on hostName, authenticated with a Microsoft Entra token for audience (SignalR Service\'s managed identity).')
func upstreamTemplate(hostName string, audience string) object => {
  hubPattern: '*'
  categoryPattern: '*'
  eventPattern: '*'
  urlTemplate: 'https://${hostName}/api/signalr/{hub}/{category}/{event}'
  auth: {
    type: 'ManagedIdentity'
    managedIdentity: {
      resource: audience
    }
  }
}

@description('The SignalR Service resource as main.bicep declared it (its first PUT).')
param definition SignalRDefinition

@description('The function app\'s default host name as Azure reports it (functionApp.properties.defaultHostName).')
param appHostName string

@description('Audience of the Entra token SignalR Service sends upstream.')
param upstreamAudience string

resource signalR 'Microsoft.SignalRService/signalR@2024-03-01' = {
  name: definition.name
  location: definition.location
  tags: definition.tags
  kind: definition.kind
  sku: definition.sku
  identity: definition.identity
  properties: union(definition.properties, {
    upstream: {
      templates: [
        upstreamTemplate(appHostName, upstreamAudience)
      ]
    }
  })
}

@description('Upstream URL template now configured on SignalR Service.')
output upstreamUrlTemplate string = upstreamTemplate(appHostName, upstreamAudience).urlTemplate
