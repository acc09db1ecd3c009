using System.Text.Json;
using SignalREmulator.Rest;

namespace SignalREmulator.Groups;

/// <summary>One user-group membership as kept across restarts.</summary>
public sealed record SavedMembership(string Hub, string User, string Group, DateTimeOffset Expiry, long Updated, bool WithoutTtl);

/// <summary>
/// The user-group memberships of every hub, kept in a file when <see cref="EmulatorOptions.StateFile"/> is set: the
/// service keeps them for up to a year, also across its own restarts, and an app may rely on that (this one asserts
/// them again only when it has reason to). Written whole after every change (write, then rename: a kill leaves the
/// old file or the new one), read at start. Connections and their groups are not kept: they end with the process.
/// </summary>
public sealed class MembershipFile(EmulatorOptions options)
{
    private readonly object _gate = new();

    public bool Enabled => options.StateFile is not null;

    public IReadOnlyList<SavedMembership> Load()
    {
        if (options.StateFile is not { } path || !File.Exists(path)) return [];
        return JsonSerializer.Deserialize(File.ReadAllBytes(path), EmulatorJson.Default.SavedMembershipArray) ?? [];
    }

    public void Save(IEnumerable<HubState> hubs)
    {
        if (options.StateFile is not { } path) return;
        lock (_gate)
        {
            var memberships = hubs.SelectMany(hub => hub.Memberships()).ToArray();
            var temporary = path + ".tmp";
            File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(memberships, EmulatorJson.Default.SavedMembershipArray));
            File.Move(temporary, path, overwrite: true);
        }
    }
}
