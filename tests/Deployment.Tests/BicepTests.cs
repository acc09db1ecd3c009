using System.Text.Json;
using System.Text.RegularExpressions;

namespace Deployment.Tests;

/// <summary>
/// Structure checks of infra/main.bicep by plain text parsing (BicepFile). They do not replace
/// `bicep build`: types, property names inside objects and expressions are NOT type-checked here.
/// </summary>
public class BicepTests
{
    private static readonly BicepFile Bicep = BicepFile.Load("infra", "main.bicep");

    /// <summary>Resource types and API versions from functions-custom-handler.md §5.1 (AVM, bicep-types-az).</summary>
    private static readonly Dictionary<string, string> DocApiVersions = new()
    {
        ["Microsoft.Web/sites"] = "2025-03-01",
        ["Microsoft.Web/serverfarms"] = "2025-03-01",
        ["Microsoft.Web/sites/host/functionKeys"] = "2025-03-01",   // untyped in Bicep (BCP081); same RP version as the site
        ["Microsoft.Storage/storageAccounts"] = "2025-06-01",
        ["Microsoft.Storage/storageAccounts/blobServices"] = "2025-06-01",
        ["Microsoft.Storage/storageAccounts/blobServices/containers"] = "2025-06-01",
        ["Microsoft.OperationalInsights/workspaces"] = "2025-07-01",
        ["Microsoft.Insights/components"] = "2020-02-02",
        ["Microsoft.ManagedIdentity/userAssignedIdentities"] = "2024-11-30",
        ["Microsoft.SignalRService/signalR"] = "2024-03-01",
        ["Microsoft.Cache/redisEnterprise"] = "2025-07-01",
        ["Microsoft.Cache/redisEnterprise/databases"] = "2025-07-01",
        ["Microsoft.Cache/redisEnterprise/databases/accessPolicyAssignments"] = "2025-07-01",
        ["Microsoft.Authorization/roleAssignments"] = "2022-04-01",
    };

    /// <summary>Built-in role ids from functions-custom-handler.md §5.2.</summary>
    private static readonly Dictionary<string, string> DocRoleIds = new()
    {
        ["storageBlobDataOwner"] = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
        ["storageBlobDataContributor"] = "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
        ["monitoringMetricsPublisher"] = "3913510d-42f4-4e42-8a64-420c390055eb",
        ["signalRServiceOwner"] = "7e4f1700-ea5a-4f59-8f37-079cfe29dce3",
    };

    private static IReadOnlyDictionary<string, string> AppSettings() => BicepFile.NameValuePairs(Bicep.Var("appSettings").Body);

    [Fact]
    public void Parser_sees_the_template()
    {
        Assert.NotEmpty(Bicep.Params);
        Assert.True(Bicep.Resources.Count >= 14, $"only {Bicep.Resources.Count} resources parsed");
        Assert.NotEmpty(Bicep.Outputs);
    }

    [Fact]
    public void Every_resource_uses_a_documented_type_and_api_version()
    {
        var bad = Bicep.Resources
            .Where(r => !DocApiVersions.TryGetValue(r.Type, out var api) || api != r.ApiVersion)
            .Select(r => $"{r.Symbol}: {r.Type}@{r.ApiVersion}");
        Assert.Empty(bad);
    }

    [Fact]
    public void Every_required_resource_type_is_present()
    {
        var types = Bicep.Resources.Select(r => r.Type).ToHashSet();
        Assert.Empty(DocApiVersions.Keys.Where(t => !types.Contains(t)).ToList());
    }

    [Fact]
    public void Secrets_are_secure_string_params()
    {
        var p = Bicep.Params;
        foreach (var name in new[] { "pushServerKeys", "sessionSigningKeys" })
        {
            Assert.True(p.ContainsKey(name), $"param {name} missing");
            Assert.True(p[name].HasDecorator("secure"), $"param {name} is not @secure()");
            Assert.Matches(@"^param\s+\w+\s+string\s*$", p[name].Header);   // no default value
        }
    }

    [Fact]
    public void Any_string_param_named_like_a_secret_is_secure()
    {
        var bad = Bicep.Params.Values
            .Where(s => Regex.IsMatch(s.Name, "key|secret|password|connectionstring|token", RegexOptions.IgnoreCase))
            .Where(s => Regex.IsMatch(s.Header, @"^param\s+\w+\s+string\b") && !s.HasDecorator("secure"))
            .Select(s => s.Name);
        Assert.Empty(bad);
    }

    [Fact]
    public void Outputs_the_main_backend_needs_are_present()
    {
        Assert.Contains("appUrl", Bicep.Outputs.Keys);
        Assert.Contains("hubName", Bicep.Outputs.Keys);
        Assert.Contains("functionAppName", Bicep.Outputs.Keys);
        Assert.Contains("defaultHostName", Bicep.Outputs["appUrl"].Body);
    }

    [Fact]
    public void No_output_carries_a_key_secret_or_connection_string()
    {
        var secureParams = Bicep.Params.Values.Where(p => p.HasDecorator("secure")).Select(p => p.Name).ToList();
        var bad = new List<string>();
        foreach (var output in Bicep.Outputs.Values)
        {
            var value = WithVariables(output.Body[(output.Body.IndexOf('=') + 1)..]);
            if (Regex.IsMatch(output.Name, "key|secret|password|connectionstring|token|credential", RegexOptions.IgnoreCase))
                bad.Add(output.Name + " (name)");
            if (Regex.IsMatch(value, @"listKeys|list[A-Z]\w*\(|ConnectionString|primaryKey|secondaryKey|AccessKey|InstrumentationKey", RegexOptions.IgnoreCase))
                bad.Add(output.Name + " (value)");
            if (secureParams.Any(sp => Regex.IsMatch(value, @"\b" + sp + @"\b")))
                bad.Add(output.Name + " (uses a secure param)");
            if (value.Contains("appSettings", StringComparison.Ordinal))
                bad.Add(output.Name + " (uses app settings)");
        }
        Assert.Empty(bad);
    }

    /// <summary>The expression plus the bodies of the variables it names (three levels), so a secret behind a var is seen.</summary>
    private static string WithVariables(string expression)
    {
        var vars = Bicep.OfKind("var").ToDictionary(v => v.Name, v => v.Body[(v.Body.IndexOf('=') + 1)..]);
        var text = expression;
        for (var depth = 0; depth < 3; depth++)
            text += string.Concat(vars.Where(v => Regex.IsMatch(text, @"\b" + v.Key + @"\b")).Select(v => "\n" + v.Value));
        return text;
    }

    [Fact]
    public void No_literal_credentials_in_the_template()
    {
        Assert.DoesNotMatch(@"AccountKey=|AccessKey=|SharedAccessKey|password=[^$]", Bicep.Text);
    }

    [Fact]
    public void Bicep_sets_every_setting_the_contract_requires()
    {
        var set = AppSettings().Keys.ToHashSet();
        var missing = Settings.FromContracts().Where(s => s.Required && !set.Contains(s.Name)).Select(s => s.Name);
        Assert.Empty(missing);
    }

    [Fact]
    public void Bicep_sets_every_contract_setting_unless_deliberately_left_out()
    {
        var set = AppSettings().Keys.ToHashSet();
        var missing = Settings.FromContracts()
            .Where(s => !set.Contains(s.Name) && !Settings.NotSetInAzure.ContainsKey(s.Name))
            .Select(s => s.Name);
        Assert.Empty(missing);
    }

    [Fact]
    public void Bicep_sets_every_setting_the_app_defines()
    {
        // Tripwire: a new name in src/PushFunctions/Configuration/SettingNames.cs needs a decision here.
        var set = AppSettings().Keys.ToHashSet();
        var missing = Settings.FromAppSource()
            .Where(n => !set.Contains(n) && !Settings.NotSetInAzure.ContainsKey(n))
            .Select(n => n);
        Assert.Empty(missing);
    }

    [Fact]
    public void Azure_only_settings_are_set_and_in_the_contract()
    {
        var set = AppSettings().Keys.ToHashSet();
        var contract = Settings.FromContracts().Select(s => s.Name).ToHashSet();
        Assert.Empty(Settings.AzureOnly.Where(n => !set.Contains(n)).ToList());
        Assert.Empty(Settings.AzureOnly.Where(n => !contract.Contains(n)).ToList());
    }

    [Fact]
    public void Flex_rejected_settings_are_not_set()
    {
        // functions-custom-handler.md §4 and §7 pitfall 14.
        string[] forbidden = ["FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_EXTENSION_VERSION", "WEBSITE_RUN_FROM_PACKAGE",
            "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING", "WEBSITE_CONTENTSHARE", "ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS"];
        Assert.Empty(AppSettings().Keys.Intersect(forbidden));
    }

    [Fact]
    public void Site_uses_the_full_app_settings_list()
    {
        var site = Bicep.ResourceOfType("Microsoft.Web/sites");
        Assert.Equal("appSettings", BicepFile.Expression(site.Body, "appSettings"));
    }

    [Fact]
    public void SignalR_connection_string_uses_managed_identity_and_no_access_key()
    {
        var value = AppSettings()["AzureSignalRConnectionString"];
        Assert.StartsWith("'Endpoint=https://${signalR.properties.hostName};AuthType=azure.msi;ClientId=${appIdentity.properties.clientId};Version=1.0;'", value);
        Assert.DoesNotContain("AccessKey", value);
    }

    [Fact]
    public void Secrets_reach_the_app_only_from_their_secure_params()
    {
        var s = AppSettings();
        Assert.Equal("pushServerKeys", s["PushServerKeys"]);
        Assert.Equal("sessionSigningKeys", s["SessionSigningKeys"]);
        Assert.Equal("hubName", s["SignalRHubName"]);
    }

    [Fact]
    public void Redis_settings_follow_the_documented_entra_contract()
    {
        var connection = Bicep.Var("redisConnectionString").Body;
        Assert.Contains("'${redisHost},ssl=True,abortConnect=False'", connection);
        Assert.Contains("'${redis.properties.hostName}:${redisPort}'", Bicep.Var("redisHost").Body);
        Assert.Contains("redisAuthMode == 'Entra' ? appIdentity.properties.clientId : ''", AppSettings()["RedisEntraClientId"]);
    }

    [Fact]
    public void Function_app_is_flex_consumption_linux_with_the_custom_runtime()
    {
        var plan = Bicep.ResourceOfType("Microsoft.Web/serverfarms");
        Assert.Matches(@"sku:\s*\{\s*name:\s*'FC1'\s*tier:\s*'FlexConsumption'\s*\}", plan.Body);
        Assert.Equal("true", BicepFile.Expression(plan.Body, "reserved"));

        var site = Bicep.ResourceOfType("Microsoft.Web/sites");
        Assert.Equal("functionapp,linux", BicepFile.Property(site.Body, "kind"));
        Assert.Matches(@"runtime:\s*\{\s*name:\s*'custom'\s*version:\s*'1\.0'\s*\}", site.Body);
        Assert.Matches(
            @"storage:\s*\{\s*type:\s*'blobContainer'\s*value:\s*'\$\{storage\.properties\.primaryEndpoints\.blob\}\$\{deploymentContainerName\}'\s*" +
            @"authentication:\s*\{\s*type:\s*'UserAssignedIdentity'\s*userAssignedIdentityResourceId:\s*appIdentity\.id\s*\}",
            site.Body);
        Assert.Equal("true", BicepFile.Expression(site.Body, "httpsOnly"));
    }

    [Fact]
    public void SignalR_is_serverless_entra_only_with_managed_identity_upstream_to_the_app_route()
    {
        var signalR = Bicep.ResourceOfType("Microsoft.SignalRService/signalR");
        Assert.Matches(@"flag:\s*'ServiceMode'\s*value:\s*'Serverless'", signalR.Body);
        Assert.Equal("true", BicepFile.Expression(signalR.Body, "disableLocalAuth"));
        Assert.Equal("false", BicepFile.Expression(signalR.Body, "disableAadAuth"));
        Assert.Equal("upstreamUrlTemplate", BicepFile.Expression(signalR.Body, "urlTemplate"));
        Assert.Equal("ManagedIdentity", Regex.Match(signalR.Body, @"auth:\s*\{\s*type:\s*'(?<t>\w+)'").Groups["t"].Value);
        Assert.Equal("effectiveUpstreamAudience", BicepFile.Expression(signalR.Body, "resource"));

        // The template's path is the upstream route of the route table.
        var template = Regex.Match(Bicep.Var("upstreamUrlTemplate").Body, @"=\s*'(?<v>[^']+)'").Groups["v"].Value;
        Assert.Equal("https://${appHostName}" + ExpectedRoutes.Upstream.Path, template);
        Assert.Equal("'${appName}.azurewebsites.net'", Regex.Match(Bicep.Var("appHostName").Body, @"=\s*(?<v>.+)").Groups["v"].Value.Trim());
    }

    [Fact]
    public void Redis_is_azure_managed_redis_with_an_access_policy_for_the_app_identity()
    {
        var db = Bicep.ResourceOfType("Microsoft.Cache/redisEnterprise/databases");
        Assert.Equal("'Encrypted'", BicepFile.Expression(db.Body, "clientProtocol"));
        Assert.Equal("redisAuthMode == 'Entra' ? 'Disabled' : 'Enabled'", BicepFile.Expression(db.Body, "accessKeysAuthentication"));
        Assert.Equal("'NoEviction'", BicepFile.Expression(db.Body, "evictionPolicy"));

        var access = Bicep.ResourceOfType("Microsoft.Cache/redisEnterprise/databases/accessPolicyAssignments");
        Assert.Equal("default", BicepFile.Property(access.Body, "accessPolicyName"));
        Assert.Equal("appIdentity.properties.principalId", BicepFile.Expression(access.Body, "objectId"));
        Assert.Equal("redisDatabase", BicepFile.Expression(access.Body, "parent"));
        // accessPolicyAssignments names must match ^[A-Za-z0-9]{1,60}$ (bicep-types-az 2025-07-01): a bare guid() has hyphens.
        Assert.StartsWith("replace(guid(", BicepFile.Expression(access.Body, "name"));
    }

    [Fact]
    public void Role_ids_are_the_documented_built_in_roles()
    {
        var roles = Bicep.Var("roleIds").Body;
        foreach (var (name, id) in DocRoleIds)
            Assert.Matches(@"\b" + name + @":\s*'" + id + "'", roles);
    }

    [Theory]
    [InlineData("storageBlobOwner", "storage", "storageBlobDataOwner", "appIdentity")]
    [InlineData("appInsightsPublisher", "appInsights", "monitoringMetricsPublisher", "appIdentity")]
    [InlineData("signalROwner", "signalR", "signalRServiceOwner", "appIdentity")]
    public void App_identity_gets_its_role(string symbol, string scope, string role, string identity)
    {
        var ra = Bicep.Resources.Single(r => r.Symbol == symbol);
        Assert.Equal("Microsoft.Authorization/roleAssignments", ra.Type);
        Assert.Equal(scope, BicepFile.Expression(ra.Body, "scope"));
        Assert.Contains("roleIds." + role, BicepFile.Expression(ra.Body, "roleDefinitionId"));
        Assert.Equal(identity + ".properties.principalId", BicepFile.Expression(ra.Body, "principalId"));
        Assert.Equal("'ServicePrincipal'", BicepFile.Expression(ra.Body, "principalType"));
        Assert.StartsWith("guid(", BicepFile.Expression(ra.Body, "name"));
    }

    [Fact]
    public void Server_keys_become_host_keys_only_when_asked()
    {
        var keys = Bicep.ResourceOfType("Microsoft.Web/sites/host/functionKeys");
        Assert.Matches(@"for\s*\(key,\s*i\)\s*in\s*serverKeyList:\s*if\s*\(deployServerHostKeys\)", keys.Body);
        Assert.Contains("split(pushServerKeys, ',')", Bicep.Var("serverKeyList").Body);
        Assert.Equal("'${functionApp.name}/default/pushserver-${i}'", BicepFile.Expression(keys.Body, "name"));
    }

    [Fact]
    public void Parameters_file_matches_the_template_and_holds_no_secrets()
    {
        using var doc = RepoFiles.ReadJson("infra", "main.parameters.json");
        var given = doc.RootElement.GetProperty("parameters").EnumerateObject().Select(p => p.Name).ToList();
        var declared = Bicep.Params;

        Assert.Empty(given.Where(n => !declared.ContainsKey(n)).ToList());
        Assert.Empty(given.Where(n => declared[n].HasDecorator("secure")).ToList());
        var requiredNonSecret = declared.Values
            .Where(p => !p.Header.Contains('=') && !p.HasDecorator("secure"))
            .Select(p => p.Name);
        Assert.Empty(requiredNonSecret.Where(n => !given.Contains(n)).ToList());
    }

    [Fact]
    public void Every_param_is_used_and_described()
    {
        var text = Bicep.Text;
        var unused = Bicep.Params.Keys.Where(n => Regex.Matches(text, @"\b" + n + @"\b").Count < 2);
        var undocumented = Bicep.Params.Values.Where(p => !p.HasDecorator("description")).Select(p => p.Name);
        Assert.Empty(unused);
        Assert.Empty(undocumented);
    }
}
