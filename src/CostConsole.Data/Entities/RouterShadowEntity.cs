namespace CostConsole.Data.Entities;

/// <summary>
/// A trained model put in shadow: it decides beside the published classifier on live traffic without being served.
/// At most one row has no <see cref="StoppedAt"/>: the shadow in force. Stopped rows stay as history.
/// </summary>
public sealed class RouterShadowEntity
{
    public long Id { get; set; }

    /// <summary>The trained model, as "name@version".</summary>
    public required string Model { get; set; }

    /// <summary>A <c>TrainedPolicy</c>: the cheapest tier reaching the quality target, or the cost-aware trade-off.</summary>
    public int Policy { get; set; }

    public double QualityTarget { get; set; }

    public double Lambda { get; set; }

    public required string StartedBy { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public string? StoppedBy { get; set; }

    public DateTimeOffset? StoppedAt { get; set; }
}
