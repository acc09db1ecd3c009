using System.Net;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PushFunctions.Observability;
using PushFunctions.Tests.Support;

namespace PushFunctions.Tests;

/// <summary>
/// Which managed identity the Azure Monitor exporter uses, read from APPLICATIONINSIGHTS_AUTHENTICATION_STRING: told
/// apart by the token request a credential for that identity makes (a stub network stands in for the identity endpoint).
/// </summary>
public sealed class ObservabilityServicesTests
{
    [Theory]
    [InlineData("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None)]          // "Request starting", "Request finished"
    [InlineData("Microsoft.AspNetCore.Routing.EndpointMiddleware", LogLevel.Warning)] // "Executing endpoint", "Executed endpoint"
    [InlineData("PushFunctions.Delivery.DeliveryFunctions", LogLevel.Information)]
    public void ASP_NET_Core_per_request_lines_are_not_logged_and_the_apps_own_are(string category, LogLevel lowestWritten)
    {
        using var services = new ServiceCollection()
            .AddObservability(new ConfigurationBuilder().Build())
            .AddLogging(logging => logging.AddProvider(new WritesEverything()).SetMinimumLevel(LogLevel.Information))
            .BuildServiceProvider();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(category);
        foreach (var level in new[] { LogLevel.Information, LogLevel.Warning, LogLevel.Error })
            Assert.Equal(level >= lowestWritten && lowestWritten != LogLevel.None, logger.IsEnabled(level));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("ClientId=abc")]   // no Authorization=AAD: not an Entra request
    public void Without_Authorization_AAD_the_exporter_uses_the_connection_string_alone(string? value) =>
        Assert.Null(ObservabilityServices.AppInsightsIdentity(value));

    [Fact]
    public async Task With_a_ClientId_the_exporter_asks_for_that_user_assigned_identity_token()
    {
        // What infra/main.bicep sets.
        var query = await TokenRequestQueryAsync(ObservabilityServices.AppInsightsIdentity("ClientId=0000-1111;Authorization=AAD"));
        Assert.Contains("client_id=0000-1111", query);
    }

    [Fact]
    public async Task Without_a_ClientId_the_exporter_asks_for_the_system_assigned_identity_token()
    {
        var query = await TokenRequestQueryAsync(ObservabilityServices.AppInsightsIdentity("Authorization=AAD"));
        Assert.DoesNotContain("client_id=", query);
        Assert.DoesNotContain("object_id=", query);
        Assert.DoesNotContain("msi_res_id=", query);
        Assert.Contains("resource=", query);
    }

    /// <summary>The query of the token request a managed-identity credential for <paramref name="identity"/> sends.</summary>
    private static async Task<string> TokenRequestQueryAsync(ManagedIdentityId? identity)
    {
        Assert.NotNull(identity);
        var network = new StubHandler(_ => StubHandler.Json(
            """{"access_token":"t","expires_in":"3600","expires_on":"4102444800","resource":"https://monitor.azure.com/","token_type":"Bearer"}"""));
        var options = new ManagedIdentityCredentialOptions(identity) { Transport = new HttpClientTransport(network) };
        options.Retry.MaxRetries = 0;
        await new ManagedIdentityCredential(options).GetTokenAsync(new TokenRequestContext(["https://monitor.azure.com//.default"]));
        var request = Assert.Single(network.Requests, r => r.RequestUri!.AbsolutePath.Contains("token", StringComparison.OrdinalIgnoreCase));
        return Uri.UnescapeDataString(request.RequestUri!.Query);
    }

    /// <summary>A log provider that would write every line: what reaches it is what the filters let through.</summary>
    private sealed class WritesEverything : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;
        public bool IsEnabled(LogLevel logLevel) => true;
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) { }
        public void Dispose() { }
    }
}
