namespace CostConsole.Data.Entities;

/// <summary>
/// How many times one part of the configuration shared by every instance has changed: the routing snapshot (rules,
/// prices, mappings, experiments), the keys, the budgets, the cached answers. Each instance compares these with the
/// versions it last applied, so a change reaches it even when its notification was lost.
/// </summary>
public sealed class ChangeVersionEntity
{
    public const int MaxTopic = 32;

    public const string Routing = "routing";
    public const string Keys = "keys";
    public const string Budgets = "budgets";
    public const string Cache = "cache";

    /// <summary>Every topic, one row each from the first migration on, so a change only ever updates its row.</summary>
    public static readonly IReadOnlyList<string> Topics = [Routing, Keys, Budgets, Cache];

    public required string Topic { get; set; }

    public long Version { get; set; }
}
