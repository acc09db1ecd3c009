using PushFunctions.Observability;

namespace PushFunctions.Tests;

/// <summary>Which managed identity the Azure Monitor exporter uses, read from APPLICATIONINSIGHTS_AUTHENTICATION_STRING.</summary>
public sealed class ObservabilityServicesTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("ClientId=abc")]   // no Authorization=AAD: not an Entra request
    public void Without_Authorization_AAD_the_exporter_uses_the_connection_string_alone(string? value) =>
        Assert.Null(ObservabilityServices.AppInsightsIdentity(value));

    [Theory]
    [InlineData("ClientId=0000-1111;Authorization=AAD")]   // what infra/main.bicep sets
    [InlineData("Authorization=AAD")]                      // the system-assigned identity
    public void With_Authorization_AAD_the_exporter_uses_a_managed_identity(string value) =>
        Assert.NotNull(ObservabilityServices.AppInsightsIdentity(value));
}
