// PushFunctions monitoring: an Azure Monitor workbook with the app's graphs and the two alerts an
// on-call engineer needs first (live pushes failing, a dependency unavailable). The app exports its metrics
// (meter "PushFunctions", docs/OBSERVABILITY.md) and traces to this Application Insights through OpenTelemetry;
// the Azure Monitor exporter writes counters to customMetrics (valueSum per interval, tags in customDimensions)
// and Redis / SignalR REST spans to dependencies.

@description('Azure region of the workbook and the alert rules.')
param location string

@description('Name of the Application Insights resource (in this resource group) the app exports to.')
param appInsightsName string

@description('Action group the alerts notify (resource id); empty: the alerts fire in the portal only.')
param alertActionGroupId string = ''

@description('Failed live pushes in 5 minutes that raise the alert (clients still get those messages by sync).')
param livePushFailuresThreshold int = 10

@description('Tags applied to every resource.')
param tags object = {}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

// A counter's total per 5 minutes, split by one tag.
var perTag = 'customMetrics | where name == "{0}" | summarize total = sum(valueSum) by bin(timestamp, 5m), by_tag = tostring(customDimensions["{1}"]) | render timechart'
// Several counters' totals per 5 minutes, one line each.
var counters = 'customMetrics | where name in ({0}) | summarize total = sum(valueSum) by bin(timestamp, 5m), name | render timechart'

var graphs = [
  {
    title: 'Messages accepted, by stream kind'
    query: format(perTag, 'push.messages.accepted', 'stream.kind')
  }
  {
    title: 'Idempotent replays, by stream kind'
    query: format(perTag, 'push.messages.replayed', 'stream.kind')
  }
  {
    title: 'Live pushes failed, by reason (the messages are still delivered by sync)'
    query: format(perTag, 'push.live_pushes.failed', 'reason')
  }
  {
    title: 'Sync: calls, pages, messages returned, recovered: false pages'
    query: format(counters, '"push.sync.calls", "push.sync.pages", "push.sync.messages", "push.sync.unrecovered"')
  }
  {
    title: 'Connections: connected, disconnected, lost (found by the lease check)'
    query: format(counters, '"push.connections.connected", "push.connections.disconnected", "push.connections.lost"')
  }
  {
    title: 'Online users'
    query: 'customMetrics | where name == "push.users.online" | summarize online = max(value) by bin(timestamp, 1m) | render timechart'
  }
  {
    title: 'Requests refused, by reason (rate limits, credentials)'
    query: format(perTag, 'push.requests.refused', 'reason')
  }
  {
    title: 'Dependency unavailable (503 answers), by dependency'
    query: format(perTag, 'push.dependency.unavailable', 'dependency')
  }
  {
    title: 'Redis and SignalR Service: p95 duration (ms), by dependency type'
    query: 'dependencies | summarize p95_ms = percentile(duration, 95) by bin(timestamp, 5m), type | render timechart'
  }
  {
    title: 'SignalR Service REST calls, by status'
    query: 'dependencies | where type =~ "Http" | summarize calls = count() by bin(timestamp, 5m), resultCode | render timechart'
  }
]

var workbookItems = [
  for (graph, i) in graphs: {
    type: 3
    name: 'graph-${i}'
    content: {
      version: 'KqlItem/1.0'
      title: graph.title
      query: graph.query
      size: 0
      timeContext: {
        durationMs: 86400000
      }
      queryType: 0
      resourceType: 'microsoft.insights/components'
      visualization: 'timechart'
    }
  }
]

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, appInsights.id, 'pushfunctions-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'PushFunctions'
    category: 'workbook'
    sourceId: appInsights.id
    serializedData: string({
      version: 'Notebook/1.0'
      items: workbookItems
      isLocked: false
      fallbackResourceIds: [
        appInsights.id
      ]
    })
  }
}

var actions = empty(alertActionGroupId) ? {} : {
  actionGroups: [
    alertActionGroupId
  ]
}

resource livePushesFailing 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${appInsightsName}-live-pushes-failing'
  location: location
  tags: tags
  properties: {
    displayName: 'PushFunctions: live pushes failing'
    description: 'SignalR Service is refusing or not answering live pushes. Nothing is lost (clients get the messages by sync), but clients see them late. Check SignalR Service health and the dependencies of failed pushes.'
    severity: 2
    enabled: true
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      allOf: [
        {
          query: 'customMetrics | where name == "push.live_pushes.failed" | summarize failed = sum(valueSum)'
          timeAggregation: 'Total'
          metricMeasureColumn: 'failed'
          operator: 'GreaterThan'
          threshold: livePushFailuresThreshold
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: actions
  }
}

resource dependencyUnavailable 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-${appInsightsName}-dependency-unavailable'
  location: location
  tags: tags
  properties: {
    displayName: 'PushFunctions: dependency unavailable'
    description: 'The app answered 503 because Redis or SignalR Service is down (the dependency dimension says which): sends and logins are being refused.'
    severity: 1
    enabled: true
    scopes: [
      appInsights.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    criteria: {
      allOf: [
        {
          query: 'customMetrics | where name == "push.dependency.unavailable" | extend dependency = tostring(customDimensions["dependency"]) | summarize answers = sum(valueSum) by dependency'
          timeAggregation: 'Total'
          metricMeasureColumn: 'answers'
          dimensions: [
            {
              name: 'dependency'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: actions
  }
}

@description('Resource id of the PushFunctions workbook.')
output workbookId string = workbook.id
