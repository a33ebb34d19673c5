namespace CostConsole.Data.Entities;

/// <summary>
/// A trained router model as stored: immutable once written (a rule set version names it as "name@version", so
/// rolling back to that version must still find it). Versions count up per name.
/// </summary>
public sealed class TrainedModelEntity
{
    public long Id { get; set; }

    /// <summary>Lower-case letters, digits and dashes.</summary>
    public required string Name { get; set; }

    public int Version { get; set; }

    /// <summary>The engine's <c>TrainedRouterModel</c> JSON, with this row's name and version inside.</summary>
    public required string ModelJson { get; set; }

    /// <summary>What it was trained on (source, examples, cheapest acceptable tier counts, learner), as JSON.</summary>
    public string? SummaryJson { get; set; }

    /// <summary>The held-out metrics recorded at training time, as JSON.</summary>
    public string? MetricsJson { get; set; }

    /// <summary>The user or API key that stored it.</summary>
    public required string TrainedBy { get; set; }

    public DateTimeOffset TrainedAt { get; set; }

    public DateTimeOffset StoredAt { get; set; }
}
