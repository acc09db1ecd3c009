namespace SignalREmulator;

/// <summary>
/// Parses the command line of docs/CONTRACTS.md:
/// <c>--port N --host IP [--endpoint URL] [--state-file PATH] --access-key KEY [--secondary-key KEY] [--upstream TEMPLATE]... [--verbose]</c>, and for
/// the Azure (Microsoft Entra) auth mode <c>[--disable-local-auth] [--identity-header SECRET] [--upstream-auth-resource AUD] [--tenant ID]</c>.
/// </summary>
public static class CommandLine
{
    public const string Usage =
        """
        Usage: SignalREmulator [--port 8888] [--host 127.0.0.1] [--endpoint URL] [--state-file PATH] [--access-key KEY] [--secondary-key KEY]
                               [--upstream "http://127.0.0.1:7071/api/signalr/{hub}/{category}/{event}"]... [--verbose]
                               [--disable-local-auth] [--identity-header SECRET] [--upstream-auth-resource AUD] [--tenant ID]
          --port 0 picks a free port. Without --access-key the official emulator's well-known key is used.
          --endpoint names the service (its connection string's Endpoint): token audiences must name it, wherever
          requests arrive (default: the address it listens on).
          --state-file keeps user-group memberships across restarts, as the service does (default: in memory).
          Microsoft Entra mode: --disable-local-auth refuses access-key tokens (Entra tokens and temporary keys only);
          --identity-header serves a managed-identity endpoint (IDENTITY_ENDPOINT = <url>/_emulator/identity);
          --upstream-auth-resource sends upstream requests an Entra bearer token with that audience.
        """;

    /// <summary>The options, or null with <paramref name="error"/> set (empty for --help).</summary>
    public static EmulatorOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        error = null;
        int port = 8888;
        string host = "127.0.0.1", key = EmulatorOptions.WellKnownAccessKey;
        var secondary = new List<string>();
        var upstream = new List<Upstream.UpstreamRule>();
        var verbose = false;
        var disableLocalAuth = false;
        string? identityHeader = null, upstreamAuthResource = null, endpoint = null, stateFile = null;
        var tenant = EmulatorOptions.DefaultTenantId;

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string Value()
            {
                if (i + 1 >= args.Count) throw new ArgumentException($"{arg} needs a value.");
                return args[++i];
            }

            try
            {
                switch (arg)
                {
                    case "--port" or "-p":
                        if (!int.TryParse(Value(), out port) || port is < 0 or > 65535) throw new ArgumentException("--port must be 0..65535.");
                        break;
                    case "--host" or "-i": host = Value(); break;
                    case "--state-file": stateFile = Value(); break;
                    case "--endpoint":
                        endpoint = Value();
                        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var named) || named.Scheme is not ("http" or "https"))
                            throw new ArgumentException("--endpoint must be an http or https URL.");
                        break;
                    case "--access-key": key = Value(); break;
                    case "--secondary-key": secondary.Add(Value()); break;
                    case "--upstream": upstream.Add(new Upstream.UpstreamRule(Value())); break;
                    case "--verbose" or "-v": verbose = true; break;
                    case "--disable-local-auth": disableLocalAuth = true; break;
                    case "--identity-header": identityHeader = Value(); break;
                    case "--upstream-auth-resource": upstreamAuthResource = Value(); break;
                    case "--tenant":
                        tenant = Value();
                        if (!Guid.TryParse(tenant, out _)) throw new ArgumentException("--tenant must be a GUID.");
                        break;
                    case "--help" or "-h":
                        error = "";
                        return null;
                    default: throw new ArgumentException($"Unknown argument '{arg}'.");
                }
            }
            catch (ArgumentException e)
            {
                error = e.Message;
                return null;
            }
        }

        if (string.IsNullOrEmpty(key))
        {
            error = "--access-key must not be empty.";
            return null;
        }
        return new EmulatorOptions
        {
            Port = port,
            Host = host,
            Endpoint = endpoint,
            StateFile = stateFile,
            AccessKey = key,
            SecondaryAccessKeys = secondary,
            UpstreamRules = upstream,
            Verbose = verbose,
            DisableLocalAuth = disableLocalAuth,
            IdentityHeader = identityHeader,
            UpstreamAuthResource = upstreamAuthResource,
            TenantId = tenant,
        };
    }
}
