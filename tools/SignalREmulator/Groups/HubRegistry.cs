using System.Collections.Concurrent;

namespace SignalREmulator.Groups;

/// <summary>
/// All hubs by internal (lowercase) name. REST membership calls create a hub on demand, so a user can be
/// put in a group before any client of that hub ever connected (the official emulator drops such calls).
/// </summary>
public sealed class HubRegistry(TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, HubState> _hubs = new(StringComparer.Ordinal);

    public HubState GetOrCreate(string hub) => _hubs.GetOrAdd(hub, static (name, clock) => new HubState(name, clock), clock);

    public HubState? Find(string hub) => _hubs.TryGetValue(hub, out var state) ? state : null;

    public IEnumerable<HubState> Hubs => _hubs.Select(pair => pair.Value);
}
