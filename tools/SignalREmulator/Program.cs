using SignalREmulator;

var options = CommandLine.Parse(args, out var error);
if (options is null)
{
    if (!string.IsNullOrEmpty(error)) Console.Error.WriteLine(error);
    Console.Error.WriteLine(CommandLine.Usage);
    return string.IsNullOrEmpty(error) ? 0 : 2;
}

await using var host = await EmulatorHost.StartAsync(options);
// Scripts wait for and parse these two lines (docs/CONTRACTS.md).
Console.WriteLine($"SignalREmulator listening on {host.Url}");
Console.WriteLine($"ConnectionString: {host.ConnectionString}");
// For the Microsoft Entra mode: where the test issuer's keys and the managed-identity endpoint are.
Console.WriteLine($"Entra: tenant={host.TenantId} authorityHost={host.AuthorityHost} identityEndpoint={host.IdentityEndpoint} serviceClientId={SignalREmulator.Auth.TestIssuer.ServiceClientId}");
await host.WaitForShutdownAsync();
return 0;
