namespace SignalREmulator.Tests;

public sealed class CommandLineTests
{
    [Fact]
    public void Parses_the_documented_arguments()
    {
        var options = CommandLine.Parse(["--port", "0", "--host", "127.0.0.1", "--access-key", "KEY", "--upstream", "http://127.0.0.1:7071/api/signalr/{hub}/{category}/{event}", "--verbose"], out var error);
        Assert.Null(error);
        Assert.NotNull(options);
        Assert.Equal(0, options.Port);
        Assert.Equal("KEY", options.AccessKey);
        Assert.Equal("http://127.0.0.1:7071/api/signalr/{hub}/{category}/{event}", Assert.Single(options.UpstreamRules).UrlTemplate);
        Assert.True(options.Verbose);
    }

    [Fact]
    public void Parses_the_entra_mode_arguments()
    {
        var tenant = Guid.NewGuid().ToString();
        var options = CommandLine.Parse(["--disable-local-auth", "--identity-header", "secret", "--upstream-auth-resource", "api://push", "--tenant", tenant], out var error);
        Assert.Null(error);
        Assert.True(options!.DisableLocalAuth);
        Assert.Equal("secret", options.IdentityHeader);
        Assert.Equal("api://push", options.UpstreamAuthResource);
        Assert.Equal(tenant, options.TenantId);

        var defaults = CommandLine.Parse([], out _)!;
        Assert.False(defaults.DisableLocalAuth);
        Assert.Null(defaults.IdentityHeader);
        Assert.Null(defaults.UpstreamAuthResource);
    }

    [Fact]
    public void Parses_the_service_name_and_the_state_file()
    {
        var options = CommandLine.Parse(["--endpoint", "https://demo.service.signalr.net", "--state-file", "/tmp/memberships.json"], out var error);
        Assert.Null(error);
        Assert.Equal("https://demo.service.signalr.net", options!.Endpoint);
        Assert.Equal("/tmp/memberships.json", options.StateFile);

        var defaults = CommandLine.Parse([], out _)!;
        Assert.Null(defaults.Endpoint);
        Assert.Null(defaults.StateFile);
    }

    [Fact]
    public void Defaults_to_port_8888_and_the_well_known_key()
    {
        var options = CommandLine.Parse([], out _);
        Assert.Equal(8888, options!.Port);
        Assert.Equal(EmulatorOptions.WellKnownAccessKey, options.AccessKey);
    }

    [Theory]
    [InlineData("--port", "x")]
    [InlineData("--bogus")]
    [InlineData("--access-key")]
    [InlineData("--tenant", "not-a-guid")]
    [InlineData("--identity-header")]
    [InlineData("--endpoint", "signalr.test")]
    [InlineData("--endpoint", "ftp://signalr.test")]
    [InlineData("--state-file")]
    public void Rejects_bad_arguments(params string[] args)
    {
        Assert.Null(CommandLine.Parse(args, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public async Task In_process_host_reports_its_port_and_connection_string()
    {
        await using var host = await EmulatorHost.StartAsync(new EmulatorOptions { AccessKey = "k" });
        Assert.NotEqual(0, host.Port);
        Assert.Equal($"http://127.0.0.1:{host.Port}", host.Url);
        Assert.Equal($"Endpoint=http://127.0.0.1;Port={host.Port};AccessKey=k;Version=1.0;", host.ConnectionString);
    }
}
