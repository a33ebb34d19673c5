using CostConsole.Routing.Catalogue;

namespace CostConsole.Routing.Decisions;

/// <summary>A catalogue model with the provider that serves it and the tier it serves in this mapping.</summary>
public sealed record RoutedModel(CatalogueModel Model, ProviderEndpoint Provider, string Tier, int TierIndex)
{
    public string Key => Model.Key;
}

public enum DecisionSource
{
    /// <summary>A rule fired.</summary>
    Rule,

    /// <summary>No rule fired; the classifier chose.</summary>
    Classifier,

    /// <summary>The client named a tier.</summary>
    PinnedTier,

    /// <summary>The client named a catalogue model.</summary>
    PinnedModel,
}

/// <summary>What the router decided for one request and why: everything the trace, the playground and the ledger show.</summary>
public sealed class RoutingDecision
{
    public required string RequestedModel { get; init; }

    public required DecisionSource Source { get; init; }

    public required string Tier { get; init; }

    public string? Rule { get; init; }

    /// <summary>1-based position of the rule that fired.</summary>
    public int? RulePosition { get; init; }

    public required string Reason { get; init; }

    public string? Classifier { get; init; }

    public double? ClassifierScore { get; init; }

    public required string Mapping { get; init; }

    /// <summary>The models to try in order: the tier's models, then the tiers above (fallback).</summary>
    public required IReadOnlyList<RoutedModel> Candidates { get; init; }

    public RoutedModel Model => Candidates[0];

    public required int RuleSetVersion { get; init; }

    public int RulesEvaluated { get; init; }

    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>The running experiment the request was enrolled in, and its arm; null when it was not enrolled.</summary>
    public long? ExperimentId { get; init; }

    public string? Arm { get; init; }

    /// <summary>What the trained model in shadow chose for this request; null when none is in shadow or no classifier decided.</summary>
    public Learning.ShadowVerdict? Shadow { get; init; }
    /// <summary>Exploration sent the request one tier off the classifier's choice.</summary>
    public bool Explored { get; init; }

    /// <summary>The probability the served tier had of being chosen, when exploration was on; null when it was off.</summary>
    public double? Propensity { get; init; }

    /// <summary>
    /// The router's own choice when this decision explored away from it or conversation affinity overrode it, to fall back
    /// on if it cannot be admitted.
    /// </summary>
    public RoutingDecision? Unexplored { get; init; }

    /// <summary>
    /// Why this decision moves a conversation even while its provider cache is warm elsewhere (a hard rule, a tier or
    /// model the request names); null when conversation affinity may keep the conversation where it is.
    /// </summary>
    public string? MustMove { get; init; }

    /// <summary>The model that served this conversation's last turn while its cache is likely warm; null when none.</summary>
    public Affinity.WarmModel? Warm { get; init; }

    /// <summary>Conversation affinity overrode the router's choice and kept the conversation on <see cref="Warm"/>'s model.</summary>
    public bool KeptByAffinity { get; init; }

    /// <summary>The same decision with fewer candidates, and a note saying why.</summary>
    internal RoutingDecision WithCandidates(IReadOnlyList<RoutedModel> candidates, string note) => new()
    {
        RequestedModel = RequestedModel,
        Source = Source,
        Tier = Tier,
        Rule = Rule,
        RulePosition = RulePosition,
        Reason = Reason,
        Classifier = Classifier,
        ClassifierScore = ClassifierScore,
        Mapping = Mapping,
        Candidates = candidates,
        RuleSetVersion = RuleSetVersion,
        RulesEvaluated = RulesEvaluated,
        Notes = [.. Notes, note],
        ExperimentId = ExperimentId,
        Arm = Arm,
        Shadow = Shadow,
        Explored = Explored,
        Propensity = Propensity,
        Unexplored = Unexplored,
        MustMove = MustMove,
        Warm = Warm,
        KeptByAffinity = KeptByAffinity,
    };

    /// <summary>
    /// This decision as conversation affinity leaves it: the warm model it knew, and when it kept the conversation there,
    /// the kept candidates and tier (exploration's draw no longer describes what is served, so it is dropped).
    /// </summary>
    internal RoutingDecision WithAffinity(Affinity.WarmModel warm, IReadOnlyList<RoutedModel>? kept, string? tier, string? note) => new()
    {
        RequestedModel = RequestedModel,
        Source = Source,
        Tier = tier ?? Tier,
        Rule = Rule,
        RulePosition = RulePosition,
        Reason = Reason,
        Classifier = Classifier,
        ClassifierScore = ClassifierScore,
        Mapping = Mapping,
        Candidates = kept ?? Candidates,
        RuleSetVersion = RuleSetVersion,
        RulesEvaluated = RulesEvaluated,
        Notes = note is null ? Notes : [.. Notes, note],
        ExperimentId = ExperimentId,
        Arm = Arm,
        Shadow = Shadow,
        Explored = kept is null && Explored,
        Propensity = kept is null ? Propensity : null,
        // When admission refuses the kept model (a budget, a key's tiers), the router's own choice is served instead.
        Unexplored = kept is null ? Unexplored : WithAffinity(warm, null, null, null),
        MustMove = MustMove,
        Warm = warm,
        KeptByAffinity = kept is not null,
    };

    /// <summary>A one-line summary for the ledger and response headers.</summary>
    public string Summary => Notes.Count == 0 ? Reason : Reason + " (" + string.Join("; ", Notes) + ")";
}
