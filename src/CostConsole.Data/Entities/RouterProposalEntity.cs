namespace CostConsole.Data.Entities;

[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<RouterProposalState>))]
public enum RouterProposalState
{
    /// <summary>Waiting for a person to use it in the draft or dismiss it.</summary>
    Proposed,

    /// <summary>Set as the draft's trained classifier; publishing the draft makes it live.</summary>
    UsedInDraft,

    Dismissed,

    /// <summary>Auto-publish wrote it into a rule set version and published it.</summary>
    Published,
}

/// <summary>
/// A model retrained from the ledger, offered in place of the published one: its stored model's "name@version" and
/// both models' figures on the same recent held-out traffic. Nothing routes by it until a person (or auto-publish) does.
/// </summary>
public sealed class RouterProposalEntity
{
    public long Id { get; set; }

    /// <summary>The stored model, "name@version".</summary>
    public required string Model { get; set; }

    /// <summary>The published trained model it was compared with, when the published classifier is one.</summary>
    public string? PublishedModel { get; set; }

    public RouterProposalState State { get; set; }

    /// <summary>"on demand" by a person, or "schedule".</summary>
    public required string Trigger { get; set; }

    public required string CreatedBy { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The ledger window trained on.</summary>
    public DateTimeOffset From { get; set; }

    public DateTimeOffset To { get; set; }

    /// <summary>What the ledger gave (examples per source and tier, skipped rows), as JSON.</summary>
    public required string DataJson { get; set; }

    /// <summary>The comparison on the held-out traffic (proposed and published side by side), as JSON.</summary>
    public required string ComparisonJson { get; set; }

    /// <summary>Why it is better or not, in words (what auto-publish would say).</summary>
    public string? Verdict { get; set; }

    public DateTimeOffset? DecidedAt { get; set; }

    public string? DecidedBy { get; set; }
}

/// <summary>
/// The one row of router-learning state: the admin's auto-publish switch, and the lease that lets one instance at a
/// time run scheduled retraining (taken and renewed with a conditional update, as batches are).
/// </summary>
public sealed class RouterLearningEntity
{
    public const long SingletonId = 1;

    public long Id { get; set; } = SingletonId;

    public bool AutoPublish { get; set; }

    public DateTimeOffset? UpdatedAt { get; set; }

    public string? UpdatedBy { get; set; }

    public string? LeaseOwner { get; set; }

    public DateTimeOffset? LeaseExpiresAt { get; set; }

    /// <summary>When scheduled retraining last ran, on any instance.</summary>
    public DateTimeOffset? LastRunAt { get; set; }
}
