using System.Collections.Concurrent;

namespace SignalREmulator.Groups;

/// <summary>
/// All hubs by internal (lowercase) name. REST membership calls create a hub on demand, so a user can be
/// put in a group before any client of that hub ever connected (the official emulator drops such calls).
/// User-group memberships outlive a restart when <see cref="MembershipFile"/> keeps them.
/// </summary>
public sealed class HubRegistry
{
    private readonly ConcurrentDictionary<string, HubState> _hubs = new(StringComparer.Ordinal);
    private readonly TimeProvider _clock;
    private readonly MembershipFile _file;

    public HubRegistry(TimeProvider clock, MembershipFile file)
    {
        _clock = clock;
        _file = file;
        foreach (var hub in file.Load().GroupBy(m => m.Hub, StringComparer.Ordinal)) GetOrCreate(hub.Key).Restore(hub);
    }

    public HubState GetOrCreate(string hub) =>
        _hubs.GetOrAdd(hub, static (name, registry) => new HubState(name, registry._clock)
        {
            MembershipsChanged = registry._file.Enabled ? () => registry._file.Save(registry.Hubs) : null,
        }, this);

    public HubState? Find(string hub) => _hubs.TryGetValue(hub, out var state) ? state : null;

    public IEnumerable<HubState> Hubs => _hubs.Select(pair => pair.Value);
}
