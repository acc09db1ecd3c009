namespace SignalREmulator.Upstream;

/// <summary>
/// One upstream setting (spec §4.1): a URL template with <c>{hub}</c>, <c>{category}</c>, <c>{event}</c>
/// placeholders and patterns (<c>*</c>, <c>a,b</c> or a name) choosing which events it receives.
/// </summary>
public sealed record UpstreamRule(string UrlTemplate, string HubPattern = "*", string CategoryPattern = "*", string EventPattern = "*")
{
    public bool Matches(string hub, string category, string @event) =>
        PatternMatches(HubPattern, hub) && PatternMatches(CategoryPattern, category) && PatternMatches(EventPattern, @event);

    /// <summary>The template with each placeholder replaced by its URI-escaped value.</summary>
    public string Resolve(string hub, string category, string @event) =>
        UrlTemplate
            .Replace("{hub}", Uri.EscapeDataString(hub), StringComparison.OrdinalIgnoreCase)
            .Replace("{category}", Uri.EscapeDataString(category), StringComparison.OrdinalIgnoreCase)
            .Replace("{event}", Uri.EscapeDataString(@event), StringComparison.OrdinalIgnoreCase);

    private static bool PatternMatches(string pattern, string value)
    {
        if (pattern == "*") return true;
        foreach (var item in pattern.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (item == "*" || string.Equals(item, value, StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }
}

/// <summary>The ordered upstream rules; replaceable while running because the app's port is often known only later.</summary>
public sealed class UpstreamSettings(IReadOnlyList<UpstreamRule> initial)
{
    private volatile IReadOnlyList<UpstreamRule> _rules = initial;

    public IReadOnlyList<UpstreamRule> Rules
    {
        get => _rules;
        set => _rules = value.ToArray();
    }

    /// <summary>The first rule's template; setting it replaces all rules with one catch-all rule (null clears them).</summary>
    public string? Template
    {
        get => _rules.Count > 0 ? _rules[0].UrlTemplate : null;
        set => _rules = string.IsNullOrEmpty(value) ? [] : [new UpstreamRule(value)];
    }

    /// <summary>The URL for this event, or null when no rule matches (first match wins).</summary>
    public string? UrlFor(string hub, string category, string @event)
    {
        foreach (var rule in _rules)
        {
            if (rule.Matches(hub, category, @event)) return rule.Resolve(hub, category, @event);
        }
        return null;
    }
}
