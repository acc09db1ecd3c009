namespace Deployment.Tests;

/// <summary>
/// scripts/deploy.sh against a stand-in <c>az</c> first on PATH: a bash script that records each call's arguments
/// (and what a <c>@file</c> argument holds, as az reads it), answers the few queries the script makes, and fails
/// the call named by FAKE_AZ_FAIL, repeating a server key in its error as Azure's errors may repeat input.
/// </summary>
public sealed class DeployScriptTests : IDisposable
{
    private const string ServerKeys = "server-key-one-0123456789,server-key-two-abcdefghij";
    private const string SigningKeys = "session-signing-key-0123456789abcdefghijkl";
    private static readonly string[] Secrets = [.. ServerKeys.Split(','), SigningKeys];

    private const string StandInAz = """
        #!/usr/bin/env bash
        { printf 'az'; printf '\t%s' "$@"; printf '\n'; } >>"$FAKE_AZ_DIR/calls"
        for arg in "$@"; do
          case "$arg" in @*) { cat "${arg#@}"; printf '\n'; } >>"$FAKE_AZ_DIR/files" ;; esac
        done
        call="$*"
        if [ -n "${FAKE_AZ_FAIL:-}" ] && [[ "$call" == "$FAKE_AZ_FAIL"* ]]; then
          echo "ERROR: (Stand-in) $FAKE_AZ_FAIL failed; request had ${PUSH_SERVER_KEYS%%,*}" >&2
          exit 1
        fi
        case "$call" in
          "functionapp show"*)
            if [ -n "${FAKE_AZ_HOST:-}" ]; then echo "$FAKE_AZ_HOST"; else echo "ERROR: (ResourceNotFound)" >&2; exit 3; fi ;;
          "deployment group show"*) echo "https://pushfunctions-test.azurewebsites.net" ;;
          "functionapp keys list"*) printf '%s\t' ${FAKE_AZ_KEYS:-default}; printf '\n' ;;
        esac
        exit 0
        """;

    private readonly string dir = Directory.CreateTempSubdirectory("deploy-sh-").FullName;
    private readonly string package;

    public DeployScriptTests()
    {
        WriteExecutable("az", StandInAz);
        package = Path.Combine(dir, "pushfunctions.zip");
        File.WriteAllText(package, "a package");
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>A stand-in program in the directory first on the script's PATH.</summary>
    private void WriteExecutable(string name, string script)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, script.Replace("\r", ""));
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private sealed record Run(int ExitCode, string Output, IReadOnlyList<string[]> Calls, IReadOnlyList<string> Files);

    private Run Deploy(IReadOnlyDictionary<string, string?>? environment = null, params string[] arguments)
    {
        var variables = new Dictionary<string, string?>
        {
            ["PATH"] = dir + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH"),
            ["FAKE_AZ_DIR"] = dir,
            ["PUSH_SERVER_KEYS"] = ServerKeys,
            ["SESSION_SIGNING_KEYS"] = SigningKeys,
            ["PACKAGE_ARTIFACTS"] = Path.Combine(dir, "artifacts"),
            ["DEPLOY_RETRY_SECONDS"] = "0",
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>()) variables[name] = value;
        var (exitCode, output) = ChildProcess.Run("bash", [RepoFiles.PathOf("scripts", "deploy.sh"), .. arguments], dir, variables);

        string[] Lines(string name) => File.Exists(Path.Combine(dir, name)) ? File.ReadAllLines(Path.Combine(dir, name)) : [];
        return new Run(exitCode, output,
            Lines("calls").Select(l => l.Split('\t')[1..]).ToList(), Lines("files"));
    }

    private Run DeployApp(IReadOnlyDictionary<string, string?>? environment = null, params string[] more) =>
        Deploy(environment, ["--resource-group", "rg-push", "--app-name", "pushfunctions-test", "--package", package, .. more]);

    private static string Command(string[] call) => string.Join(' ', call.TakeWhile(a => !a.StartsWith('-')));

    private static void AssertNoSecretIn(string output)
    {
        foreach (var secret in Secrets) Assert.DoesNotContain(secret, output);
    }

    [Fact]
    public void A_first_deployment_runs_the_infrastructure_then_the_package_then_the_host_keys_with_the_guides_parameters()
    {
        var run = DeployApp();

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal(
        [
            "account show", "group show", "functionapp show", "deployment group create", "deployment group show",
            "functionapp deployment source config-zip", "functionapp keys set", "functionapp keys set", "functionapp keys list",
        ], run.Calls.Select(Command));
        Assert.Equal(
        [
            "deployment", "group", "create", "--resource-group", "rg-push", "--name", "pushfunctions",
            "--template-file", RepoFiles.PathOf("infra", "main.bicep"), "--parameters", RepoFiles.PathOf("infra", "main.bicepparam"),
            "--parameters", "appName=pushfunctions-test", "deployServerHostKeys=false", "currentAppHostName=", "--output", "none",
        ], run.Calls[3]);
        Assert.Equal(["functionapp", "deployment", "source", "config-zip", "--resource-group", "rg-push", "--name", "pushfunctions-test",
            "--src", package, "--output", "none"], run.Calls[5]);

        // One host key per server key, in order, each read by az from a file: the same value the app accepts.
        for (var i = 0; i < 2; i++)
        {
            var keySet = run.Calls[6 + i];
            Assert.Equal(["functionapp", "keys", "set", "--resource-group", "rg-push", "--name", "pushfunctions-test",
                "--key-type", "functionKeys", "--key-name", $"pushserver-{i}"], keySet[..11]);
            Assert.Equal("--key-value", keySet[11]);
            Assert.StartsWith("@", keySet[12]);
        }
        Assert.Equal(ServerKeys.Split(','), run.Files);
        Assert.Contains("deployed: https://pushfunctions-test.azurewebsites.net", run.Output);
        AssertNoSecretIn(run.Output);
        AssertNoSecretIn(string.Join('\n', run.Calls.Select(c => string.Join(' ', c))));
    }

    [Fact]
    public void A_redeployment_keeps_the_upstream_on_the_apps_current_host_name_and_deletes_leftover_host_keys()
    {
        var run = DeployApp(new Dictionary<string, string?>
        {
            ["PUSH_SERVER_KEYS"] = ServerKeys.Split(',')[0],
            ["FAKE_AZ_HOST"] = "pushfunctions-test-abc123.swedencentral-01.azurewebsites.net",
            ["FAKE_AZ_KEYS"] = "default pushserver-0 pushserver-1 pushserver-2 someone-else",
        }, "--parameter", "deployerPrincipalId=00000000-0000-0000-0000-000000000001");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal(["appName=pushfunctions-test", "deployServerHostKeys=false",
            "currentAppHostName=pushfunctions-test-abc123.swedencentral-01.azurewebsites.net",
            "deployerPrincipalId=00000000-0000-0000-0000-000000000001"], run.Calls[3][12..16]);
        var deleted = run.Calls.Where(c => Command(c) == "functionapp keys delete").Select(c => c[Array.IndexOf(c, "--key-name") + 1]);
        Assert.Equal(["pushserver-1", "pushserver-2"], deleted);
        Assert.Single(run.Files);
    }

    public static TheoryData<string, int, string, string[]> FailingPasses() => new()
    {
        { "deployment group create", 11, "pass 1 of 3 (infrastructure) failed", ["deployment group create"] },
        { "functionapp deployment source config-zip", 12, "pass 2 of 3 (package) failed", ["functionapp deployment source config-zip"] },
        { "functionapp keys set", 13, "pass 3 of 3 (host keys) failed", ["functionapp keys set", "functionapp keys set"] },
    };

    [Theory]
    [MemberData(nameof(FailingPasses))]
    public void A_failing_pass_stops_the_rest_with_its_name_and_a_fix_and_never_shows_a_key(
        string failingCall, int exitCode, string message, string[] lastCalls)
    {
        var run = DeployApp(new Dictionary<string, string?> { ["FAKE_AZ_FAIL"] = failingCall, ["DEPLOY_HOST_KEY_ATTEMPTS"] = "2" });

        Assert.Equal(exitCode, run.ExitCode);
        Assert.Contains(message, run.Output);
        Assert.Contains("to fix:", run.Output);
        // Azure's error is shown, with the key it repeated replaced.
        Assert.Contains($"(Stand-in) {failingCall} failed; request had ***", run.Output);
        AssertNoSecretIn(run.Output);
        // Nothing after the failing call: it is the last one, tried again only when it is a host key.
        var commands = run.Calls.Select(Command).ToList();
        Assert.Equal(lastCalls, commands[^lastCalls.Length..]);
        Assert.Equal(commands.IndexOf(failingCall) + lastCalls.Length, commands.Count);
    }

    [Fact]
    public void A_package_that_does_not_build_stops_before_anything_is_uploaded()
    {
        // scripts/package.sh runs for real; a stand-in dotnet makes its publish fail.
        WriteExecutable("dotnet", "#!/usr/bin/env bash\necho 'error: the build failed' >&2\nexit 1\n");

        var run = Deploy(null, "--resource-group", "rg-push", "--app-name", "pushfunctions-test");

        Assert.Equal(12, run.ExitCode);
        Assert.Contains("pass 2 of 3 (package) failed: scripts/package.sh exited", run.Output);
        Assert.Contains("error: the build failed", run.Output);
        Assert.Equal("deployment group show", Command(run.Calls[^1]));
    }

    [Fact]
    public void Without_a_signed_in_azure_cli_nothing_is_deployed()
    {
        var run = DeployApp(new Dictionary<string, string?> { ["FAKE_AZ_FAIL"] = "account show" });

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("run az login", run.Output);
        Assert.Equal(["account show"], run.Calls.Select(Command));
    }

    [Theory]
    [InlineData("PUSH_SERVER_KEYS")]
    [InlineData("SESSION_SIGNING_KEYS")]
    public void A_missing_secret_is_named_before_azure_is_called(string variable)
    {
        var run = DeployApp(new Dictionary<string, string?> { [variable] = null });

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"{variable} is not set", run.Output);
        Assert.Empty(run.Calls);
    }
}
