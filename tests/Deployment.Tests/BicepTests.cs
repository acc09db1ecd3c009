using System.Text.Json;
using System.Text.RegularExpressions;

namespace Deployment.Tests;

/// <summary>
/// infra/main.bicep and infra/main.bicepparam: the Bicep CLI builds and lints them (syntax, resource types and
/// API versions, property names and types, unused parameters and variables, secrets in outputs); the other
/// tests check our intent (settings, identities, roles, secrets) in the template's own words (BicepFile).
/// </summary>
public class BicepTests
{
    private static readonly BicepFile Bicep = BicepFile.Load("infra", "main.bicep");

    /// <summary>What PushFunctions needs deployed (the API versions are the compiler's business).</summary>
    private static readonly string[] RequiredResourceTypes =
    [
        "Microsoft.Web/sites",
        "Microsoft.Web/serverfarms",
        "Microsoft.Web/sites/host/functionKeys",
        "Microsoft.Storage/storageAccounts",
        "Microsoft.Storage/storageAccounts/blobServices",
        "Microsoft.Storage/storageAccounts/blobServices/containers",
        "Microsoft.OperationalInsights/workspaces",
        "Microsoft.Insights/components",
        "Microsoft.ManagedIdentity/userAssignedIdentities",
        "Microsoft.SignalRService/signalR",
        "Microsoft.Cache/redisEnterprise",
        "Microsoft.Cache/redisEnterprise/databases",
        "Microsoft.Cache/redisEnterprise/databases/accessPolicyAssignments",
        "Microsoft.Authorization/roleAssignments",
    ];

    /// <summary>Built-in role ids (Azure built-in roles).</summary>
    private static readonly Dictionary<string, string> DocRoleIds = new()
    {
        ["storageBlobDataOwner"] = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
        ["storageBlobDataContributor"] = "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
        ["monitoringMetricsPublisher"] = "3913510d-42f4-4e42-8a64-420c390055eb",
        ["signalRServiceOwner"] = "7e4f1700-ea5a-4f59-8f37-079cfe29dce3",
    };

    /// <summary>Stand-ins for the secrets main.bicepparam reads from the environment.</summary>
    private static readonly Dictionary<string, string?> SecretsInEnvironment = new()
    {
        ["PUSH_SERVER_KEYS"] = "test-server-key-0123456789,test-server-key-abcdefghij",
        ["SESSION_SIGNING_KEYS"] = "test-session-signing-key-0123456789abcdef",
    };

    [Fact]
    public void Main_bicep_builds_with_no_warnings()
    {
        var outFile = Path.Combine(Path.GetTempPath(), $"main-{Guid.NewGuid():N}.json");
        try
        {
            var result = BicepCli.Run(["build", RepoFiles.PathOf("infra", "main.bicep"), "--outfile", outFile]);
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Empty(result.Diagnostics);
            using var template = JsonDocument.Parse(File.ReadAllText(outFile));
            Assert.NotEmpty(BicepCli.CompiledSymbols(template.RootElement));
        }
        finally
        {
            File.Delete(outFile);
        }
    }

    public static TheoryData<string> InfraFiles() =>
        new(Directory.GetFiles(RepoFiles.PathOf("infra"), "*.bicep").Select(Path.GetFileName).Order()!);

    [Theory]
    [MemberData(nameof(InfraFiles))]
    public void Every_bicep_file_lints_with_no_warnings(string file)
    {
        var result = BicepCli.Run(["lint", RepoFiles.PathOf("infra", file)]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Empty(result.Diagnostics);
    }

    [Fact]
    public void Lint_reports_what_the_no_warning_checks_would_see()
    {
        // The two checks above pass on silence: prove that a warning is heard (the CLI exits 0 on warnings).
        var dir = Directory.CreateTempSubdirectory("bicep-lint-");
        try
        {
            var file = Path.Combine(dir.FullName, "unused.bicep");
            File.WriteAllText(file, "param unusedSetting string = 'x'\n");
            var result = BicepCli.Run(["lint", file]);
            Assert.Contains(result.Diagnostics, d => d.Contains("Warning no-unused-params", StringComparison.Ordinal));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Parameters_file_builds_against_the_template_and_takes_the_secrets_only_from_the_environment()
    {
        var paramsFile = RepoFiles.PathOf("infra", "main.bicepparam");
        var outFile = Path.Combine(Path.GetTempPath(), $"params-{Guid.NewGuid():N}.json");
        try
        {
            // build-params refuses a parameter the template does not declare and a required one left out.
            var result = BicepCli.Run(["build-params", paramsFile, "--outfile", outFile], SecretsInEnvironment);
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Empty(result.Diagnostics);
            using var built = JsonDocument.Parse(File.ReadAllText(outFile));
            var values = built.RootElement.GetProperty("parameters");
            Assert.Equal(SecretsInEnvironment["PUSH_SERVER_KEYS"], values.GetProperty("pushServerKeys").GetProperty("value").GetString());
            Assert.Equal(SecretsInEnvironment["SESSION_SIGNING_KEYS"], values.GetProperty("sessionSigningKeys").GetProperty("value").GetString());
            Assert.False(values.GetProperty("deployServerHostKeys").GetProperty("value").GetBoolean(), "the first deployment must not create host keys");

            // No secret has a fallback in the file: without the environment it does not build.
            var withoutSecrets = BicepCli.Run(["build-params", paramsFile, "--stdout"],
                SecretsInEnvironment.ToDictionary(p => p.Key, _ => (string?)null));
            Assert.NotEqual(0, withoutSecrets.ExitCode);
            Assert.All(SecretsInEnvironment.Keys, name => Assert.Contains(name, withoutSecrets.Output));
        }
        finally
        {
            File.Delete(outFile);
        }
    }

    private static IReadOnlyDictionary<string, string> AppSettings() => BicepFile.NameValuePairs(Bicep.Var("appSettings").Body);

    [Fact]
    public void Parser_sees_the_template()
    {
        Assert.NotEmpty(Bicep.Params);
        Assert.True(Bicep.Resources.Count >= 14, $"only {Bicep.Resources.Count} resources parsed");
        Assert.NotEmpty(Bicep.Outputs);
    }

    [Fact]
    public void Every_required_resource_type_is_present()
    {
        var types = Bicep.Resources.Select(r => r.Type).ToHashSet();
        Assert.Empty(RequiredResourceTypes.Where(t => !types.Contains(t)).ToList());
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
        // Tripwire: a new setting in a settings class (src/PushFunctions/Configuration/*Options.cs) needs a decision here.
        var set = AppSettings().Keys.ToHashSet();
        var missing = Settings.FromApp()
            .Where(n => !set.Contains(n) && !Settings.NotSetInAzure.ContainsKey(n))
            .Select(n => n);
        Assert.Empty(missing);
    }

    [Fact]
    public void Bicep_sets_only_settings_the_app_or_the_platform_reads()
    {
        // The platform's: host storage over Entra, Application Insights (the host's too), Azure.Identity's default identity.
        string[] platform = ["AzureWebJobsStorage__accountName", "AzureWebJobsStorage__credential", "AzureWebJobsStorage__clientId", "AZURE_CLIENT_ID"];
        var known = Settings.FromApp().Concat(platform).ToHashSet();
        Assert.Empty(AppSettings().Keys.Where(n => !known.Contains(n)).ToList());
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
        // Flex Consumption's documented deprecations: functionAppConfig replaces these.
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
    public void Function_app_is_flex_consumption_linux_running_dotnet_isolated_10()
    {
        // Read from the compiled template: what ARM receives, whatever the formatting of the .bicep text.
        var plan = Assert.Single(BicepCli.CompiledResources("Microsoft.Web/serverfarms"));
        Assert.Equal("FC1", plan.GetProperty("sku").GetProperty("name").GetString());
        Assert.Equal("FlexConsumption", plan.GetProperty("sku").GetProperty("tier").GetString());
        Assert.True(plan.GetProperty("properties").GetProperty("reserved").GetBoolean(), "a Flex plan is Linux (reserved: true)");

        var site = Assert.Single(BicepCli.CompiledResources("Microsoft.Web/sites"));
        Assert.Equal("functionapp,linux", site.GetProperty("kind").GetString());
        var properties = site.GetProperty("properties");
        Assert.True(properties.GetProperty("httpsOnly").GetBoolean());
        var config = properties.GetProperty("functionAppConfig");
        Assert.Equal("dotnet-isolated", config.GetProperty("runtime").GetProperty("name").GetString());
        Assert.Equal("10.0", config.GetProperty("runtime").GetProperty("version").GetString());

        // Flex runs the package from the blob container, read with the app's own identity.
        var storage = config.GetProperty("deployment").GetProperty("storage");
        Assert.Equal("blobContainer", storage.GetProperty("type").GetString());
        Assert.Equal("UserAssignedIdentity", storage.GetProperty("authentication").GetProperty("type").GetString());
        Assert.Matches(
            @"storage:\s*\{\s*type:\s*'blobContainer'\s*value:\s*'\$\{storage\.properties\.primaryEndpoints\.blob\}\$\{deploymentContainerName\}'\s*" +
            @"authentication:\s*\{\s*type:\s*'UserAssignedIdentity'\s*userAssignedIdentityResourceId:\s*appIdentity\.id\s*\}",
            Bicep.ResourceOfType("Microsoft.Web/sites").Body);
    }

    private static readonly BicepFile UpstreamModule = BicepFile.Load("infra", "signalr-upstream.bicep");

    [Fact]
    public void SignalR_is_serverless_entra_only_with_managed_identity_upstream_to_the_app_route()
    {
        var definition = Bicep.Var("signalRDefinition").Body;
        Assert.Matches(@"flag:\s*'ServiceMode'\s*value:\s*'Serverless'", definition);
        Assert.Equal("true", BicepFile.Expression(definition, "disableLocalAuth"));
        Assert.Equal("false", BicepFile.Expression(definition, "disableAadAuth"));

        // One upstream template, every event to the route table's upstream route, with an Entra token.
        var template = UpstreamModule.OfKind("func").Single(f => f.Name == "upstreamTemplate").Body;
        Assert.Equal("https://${hostName}" + ExpectedRoutes.Upstream.Path, BicepFile.Property(template, "urlTemplate"));
        Assert.Equal("ManagedIdentity", Regex.Match(template, @"auth:\s*\{\s*type:\s*'(?<t>\w+)'").Groups["t"].Value);
        Assert.Equal("audience", BicepFile.Expression(template, "resource"));
        foreach (var pattern in new[] { "hubPattern", "categoryPattern", "eventPattern" })
            Assert.Equal("*", BicepFile.Property(template, pattern));
    }

    [Fact]
    public void Upstream_url_is_the_function_apps_default_host_name_not_one_built_from_its_name()
    {
        var module = Bicep.OfKind("module").Single(m => m.Name == "signalRUpstream").Body;
        Assert.Equal("functionApp.properties.defaultHostName", BicepFile.Expression(module, "appHostName"));
        Assert.Equal("effectiveUpstreamAudience", BicepFile.Expression(module, "upstreamAudience"));
        Assert.Equal("signalRUpstream.outputs.upstreamUrlTemplate", Regex.Match(Bicep.Outputs["upstreamUrlTemplate"].Body, @"=\s*(?<v>.+)").Groups["v"].Value.Trim());
        // The first PUT points the upstream only at a host name Azure reported (the deploy script reads it), or nowhere.
        Assert.Contains("empty(currentAppHostName) ? [] : [ upstreamTemplate(currentAppHostName, effectiveUpstreamAudience) ]",
            Bicep.ResourceOfType("Microsoft.SignalRService/signalR").Body);
        Assert.DoesNotContain("azurewebsites.net", Bicep.Text + UpstreamModule.Text);
    }

    /// <summary>The compiled expressions of one resource's top-level fields.</summary>
    private static Dictionary<string, string> Fields(JsonElement resource) =>
        resource.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText());

    [Fact]
    public void Second_signalr_put_sends_every_field_of_the_first_and_only_adds_the_upstream()
    {
        // A PUT replaces the resource: whatever the second one left out would be reset. Both are read from what ARM
        // receives (the compiled template): each field of both comes from the one signalRDefinition object.
        var symbols = BicepCli.CompiledSymbols(BicepCli.CompiledMain);
        var first = Fields(symbols["signalR"]);
        var module = symbols["signalRUpstream"];
        var nested = BicepCli.CompiledSymbols(module.GetProperty("properties").GetProperty("template"));
        var second = Fields(Assert.Single(nested).Value);

        Assert.Equal(first["type"], second["type"]);
        Assert.Equal(first["apiVersion"], second["apiVersion"]);
        string[] copied = ["name", "location", "tags", "kind", "sku", "identity"];
        // Nothing is set on either PUT but these fields (a new one on the first must go through the definition too).
        Assert.Equal(copied.Append("properties").Order(), first.Keys.Except(["type", "apiVersion", "dependsOn"]).Order());
        Assert.Equal(first.Keys.Except(["dependsOn"]).Order(), second.Keys.Order());
        foreach (var field in copied)
        {
            Assert.Equal($"[variables('signalRDefinition').{field}]", first[field]);
            Assert.Equal($"[parameters('definition').{field}]", second[field]);
        }
        Assert.StartsWith("[union(variables('signalRDefinition').properties, createObject('upstream', ", first["properties"]);
        Assert.StartsWith("[union(parameters('definition').properties, createObject('upstream', ", second["properties"]);
        Assert.Equal("[variables('signalRDefinition')]", module.GetProperty("properties").GetProperty("parameters")
            .GetProperty("definition").GetProperty("value").GetString());

        // The definition itself leaves the upstream to each PUT, so neither can carry a stale one by accident.
        Assert.False(BicepCli.CompiledMain.GetProperty("variables").GetProperty("signalRDefinition").GetProperty("properties")
            .TryGetProperty("upstream", out _));
    }

    [Fact]
    public void Second_signalr_put_runs_after_the_first_and_after_the_app()
    {
        var symbols = BicepCli.CompiledSymbols(BicepCli.CompiledMain);
        var after = new HashSet<string>();
        var pending = new Stack<string>(["signalRUpstream"]);
        while (pending.TryPop(out var symbol))
        {
            if (!symbols[symbol].TryGetProperty("dependsOn", out var dependsOn)) continue;
            foreach (var dependency in dependsOn.EnumerateArray().Select(d => d.GetString()!))
                if (after.Add(dependency)) pending.Push(dependency);
        }
        Assert.Contains("functionApp", after);
        Assert.Contains("signalR", after);
    }

    [Fact]
    public void Redis_is_azure_managed_redis_with_an_access_policy_for_the_app_identity()
    {
        var db = Bicep.ResourceOfType("Microsoft.Cache/redisEnterprise/databases");
        Assert.Equal("'Encrypted'", BicepFile.Expression(db.Body, "clientProtocol"));
        Assert.Equal("redisAuthMode == 'Entra' ? 'Disabled' : 'Enabled'", BicepFile.Expression(db.Body, "accessKeysAuthentication"));
        Assert.Equal("'NoEviction'", BicepFile.Expression(db.Body, "evictionPolicy"));
        // Sessions, streams and presence survive a restart by default: an append-only file written every second.
        Assert.Contains("= 'AOF'", Bicep.Params["redisPersistence"].Header);
        Assert.Contains("redisPersistence == 'AOF'\n      ? { aofEnabled: true, aofFrequency: '1s' }", db.Body.Replace("\r", ""));

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
    public void Every_param_is_described()
    {
        // (Unused parameters are the linter's no-unused-params warning.)
        var undocumented = Bicep.Params.Values.Where(p => !p.HasDecorator("description")).Select(p => p.Name);
        Assert.Empty(undocumented);
    }
}
