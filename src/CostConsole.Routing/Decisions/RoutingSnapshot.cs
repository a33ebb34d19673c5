using System.Collections.Frozen;
using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Classification;
using CostConsole.Routing.Experiments;
using CostConsole.Routing.Pricing;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Rules;

namespace CostConsole.Routing.Decisions;

/// <summary>
/// An immutable, compiled routing configuration. Deciding reads only this object: no I/O, no locks, and
/// all strings of the trace are built at compile time.
/// </summary>
public sealed class RoutingSnapshot
{
    private readonly CompiledRule[] _rules;
    private readonly RoutedModel[][] _candidatesByTier;
    private readonly FrozenDictionary<string, int> _tierIndex;
    private readonly FrozenDictionary<string, RoutedModel> _modelsByReference;
    private readonly FrozenDictionary<string, RoutedModel[]> _pinned;
    private readonly string _noRuleReasonPrefix;

    internal SnapshotParts Parts { get; }

    internal RoutingSnapshot(SnapshotParts parts)
    {
        Parts = parts;
        _rules = parts.Rules;
        _candidatesByTier = parts.CandidatesByTier;
        _tierIndex = parts.Tiers.Select((t, i) => (t, i)).ToFrozenDictionary(x => x.t, x => x.i, StringComparer.OrdinalIgnoreCase);
        _modelsByReference = parts.ModelsByReference;
        _pinned = parts.ModelsByReference.ToFrozenDictionary(p => p.Key, p => new[] { p.Value }, StringComparer.Ordinal);
        _noRuleReasonPrefix = $"no rule matched ({_rules.Length} enabled); ";
    }

    public IReadOnlyList<string> Tiers => Parts.Tiers;

    public string DefaultTier => Parts.DefaultTier;

    public string MappingName => Parts.MappingName;

    public int RuleSetVersion => Parts.RuleSetVersion;

    public IReadOnlyList<RoutedModel> Models => Parts.Models;

    public IReadOnlyList<ProviderEndpoint> Providers => Parts.Providers;

    public PriceBook Prices => Parts.Prices;

    /// <summary>The model baseline cost is priced at, or null when no model of any tier has a price.</summary>
    public RoutedModel? Baseline => Parts.Baseline;

    public ITierClassifier Classifier => Parts.Classifier;

    /// <summary>The quality gates per tier and how far a request may escalate.</summary>
    public Escalation.CompiledEscalation Escalation => Parts.Escalation;

    public int RuleCount => _rules.Length;

    /// <summary>The names of the enabled rules, in order.</summary>
    public IReadOnlyList<string> RuleNames => [.. _rules.Select(r => r.Name)];

    /// <summary>The trained model deciding in shadow beside the classifier (name@version and policy), or null.</summary>
    public TrainedClassifierDefinition? Shadow => Parts.Shadow?.Definition;

    /// <summary>
    /// The personal-data detector of this snapshot (built-in kinds and the admin's patterns). Routing scans each
    /// request with it first; <c>request.DetectPersonalData(snapshot.PersonalData).Any</c> answers "did this request
    /// contain personal data" from that one scan.
    /// </summary>
    public Privacy.PersonalDataDetector PersonalData => Parts.PersonalData;

    public bool IsTier(string name) => _tierIndex.ContainsKey(name);

    /// <summary>The catalogue's embeddings models and the names that route to them.</summary>
    public EmbeddingRoutes Embeddings => Parts.Embeddings;

    /// <summary>
    /// Decides the one embeddings model for an embeddings request (its inputs as user turns). The request is scanned for
    /// personal data as a chat request is, and kept to approved providers when the rule set routes personal data.
    /// </summary>
    /// <exception cref="ChatRequestException">The model is not an embeddings route, or personal data has nowhere to go.</exception>
    public RoutingDecision DecideEmbeddings(ChatRequest request)
    {
        var personal = request.DetectPersonalData(Parts.PersonalData);
        var chatModel = _modelsByReference.TryGetValue(request.Model, out var named) && named.Model.Kind == ModelKind.Chat ? named : null;
        var (model, source, reason) = Parts.Embeddings.Resolve(request.Model, chatModel);
        var decision = new RoutingDecision
        {
            RequestedModel = request.Model,
            Source = source,
            Tier = model.Tier,
            Reason = reason,
            Mapping = EmbeddingsMapping,
            Candidates = [model],
            RuleSetVersion = Parts.RuleSetVersion,
        };
        if (!Parts.RoutesPersonalData || !personal.Any)
        {
            return decision;
        }

        try
        {
            return Privacy.PersonalDataRouting.KeepToApproved(decision, personal);
        }
        catch (ChatRequestException ex)
        {
            // The personal data is in the inputs, not in chat messages.
            throw new ChatRequestException(ex.Code, ex.Message, "input");
        }
    }

    /// <summary>What an embeddings decision names as its mapping: embeddings models are routed by the catalogue, not a tier mapping.</summary>
    public const string EmbeddingsMapping = "catalogue embeddings models";

    /// <summary>Finds a model by "provider/id" or by id alone (when only one provider serves it).</summary>
    public RoutedModel? FindModel(string reference) =>
        _modelsByReference.TryGetValue(reference, out var model) ? model : null;

    /// <summary>The models a request on <paramref name="tier"/> tries, in order.</summary>
    public IReadOnlyList<RoutedModel> CandidatesFor(string tier) =>
        _tierIndex.TryGetValue(tier, out var index) ? _candidatesByTier[index] : [];

    /// <summary>The running experiments' ids and names, in the order they are tried.</summary>
    public IReadOnlyList<(long Id, string Name)> Experiments => [.. Parts.Experiments.Select(e => (e.Id, e.Name))];

    /// <summary>Each running experiment's arms with the first model each tier tries under them (null where a tier has none), by tier index.</summary>
    public IReadOnlyList<(string Experiment, string Arm, IReadOnlyList<RoutedModel?> FirstModels)> ExperimentArms =>
    [
        .. Parts.Experiments.SelectMany(e => e.ArmNames.Select((arm, i) =>
            (e.Name, arm, (IReadOnlyList<RoutedModel?>)[.. e.ArmCandidates[i].Select(tier => tier.Length > 0 ? tier[0] : null)]))),
    ];

    /// <summary>Decides the tier and model for <paramref name="request"/>; completes synchronously unless the classifier is remote.</summary>
    /// <exception cref="ChatRequestException">The request names a model that is neither "auto", a tier nor a catalogue model.</exception>
    public ValueTask<RoutingDecision> DecideAsync(ChatRequest request, CancellationToken cancellationToken = default) =>
        DecideAsync(request, null, cancellationToken);

    /// <summary>
    /// Decides as <see cref="DecideAsync(ChatRequest, CancellationToken)"/>; when the request falls in a running
    /// experiment's scope and carries its assignment unit, the assigned arm's tier mapping supplies the candidates.
    /// Requests pinned to a model are never enrolled.
    /// </summary>
    public ValueTask<RoutingDecision> DecideAsync(ChatRequest request, AssignmentUnit? unit, CancellationToken cancellationToken = default)
    {
        // Before anything is decided, stored or cached: rules, the trace and the ledger share this one scan.
        var personal = request.DetectPersonalData(Parts.PersonalData);
        var decided = DecideDefaultAsync(request, cancellationToken);
        if (unit is { } caller && Parts.Experiments.Length > 0)
        {
            decided = decided.IsCompletedSuccessfully
                ? ValueTask.FromResult(Enroll(decided.Result, caller))
                : EnrollAsync(decided, caller);
        }

        if (!Parts.RoutesPersonalData || !personal.Any)
        {
            // Live traffic only (a unit), and never when personal data narrows where the request may go.
            return unit is null || Parts.Exploration <= 0 ? decided : Explore(decided);
        }

        return decided.IsCompletedSuccessfully
            ? ValueTask.FromResult(Privacy.PersonalDataRouting.KeepToApproved(decided.Result, personal))
            : KeepToApprovedAsync(decided, personal);
    }

    private ValueTask<RoutingDecision> Explore(ValueTask<RoutingDecision> decided) =>
        decided.IsCompletedSuccessfully
            ? ValueTask.FromResult(Learning.Exploration.Apply(decided.Result, Parts.Tiers, _candidatesByTier, Parts.Exploration, Random.Shared))
            : ExploreAsync(decided);

    private async ValueTask<RoutingDecision> ExploreAsync(ValueTask<RoutingDecision> pending) =>
        Learning.Exploration.Apply(await pending.ConfigureAwait(false), Parts.Tiers, _candidatesByTier, Parts.Exploration, Random.Shared);

    private static async ValueTask<RoutingDecision> KeepToApprovedAsync(ValueTask<RoutingDecision> pending, Privacy.PersonalDataFindings personal) =>
        Privacy.PersonalDataRouting.KeepToApproved(await pending.ConfigureAwait(false), personal);

    private async ValueTask<RoutingDecision> EnrollAsync(ValueTask<RoutingDecision> pending, AssignmentUnit unit) =>
        Enroll(await pending.ConfigureAwait(false), unit);

    private RoutingDecision Enroll(RoutingDecision decision, AssignmentUnit unit)
    {
        if (decision.Source == DecisionSource.PinnedModel || decision.Candidates.Count == 0 || !_tierIndex.TryGetValue(decision.Tier, out var tierIndex)
            || !ReferenceEquals(decision.Candidates, _candidatesByTier[tierIndex]))
        {
            // Pinned to a model, by the request or by a rule: the mapping plays no part.
            return decision;
        }

        var team = unit.Team ?? (unit.ApiKeyId is { } key ? Parts.KeyTeams.GetValueOrDefault(key) : null);
        foreach (var experiment in Parts.Experiments)
        {
            if (!experiment.InScope(decision, unit.ApiKeyId, team, tierIndex) || unit.ValueOf(experiment.Unit) is not { } value)
            {
                continue;
            }

            var arm = ArmAssignment.Arm(experiment.Salt, value, experiment.Weights);
            return new RoutingDecision
            {
                RequestedModel = decision.RequestedModel,
                Source = decision.Source,
                Tier = decision.Tier,
                Rule = decision.Rule,
                RulePosition = decision.RulePosition,
                Reason = decision.Reason,
                Classifier = decision.Classifier,
                ClassifierScore = decision.ClassifierScore,
                Mapping = experiment.ArmMappingNames[arm],
                Candidates = experiment.ArmCandidates[arm][tierIndex],
                RuleSetVersion = decision.RuleSetVersion,
                RulesEvaluated = decision.RulesEvaluated,
                Notes = [.. decision.Notes, experiment.ArmNotes[arm]],
                ExperimentId = experiment.Id,
                Arm = experiment.ArmNames[arm],
                Shadow = decision.Shadow,
                MustMove = decision.MustMove,
            };
        }

        return decision;
    }

    private ValueTask<RoutingDecision> DecideDefaultAsync(ChatRequest request, CancellationToken cancellationToken)
    {
        var requested = request.Model;
        if (string.Equals(requested, ChatRequestParser.AutoModel, StringComparison.OrdinalIgnoreCase))
        {
            return DecideAutoAsync(request, cancellationToken);
        }

        if (_tierIndex.TryGetValue(requested, out var tierIndex))
        {
            return ValueTask.FromResult(new RoutingDecision
            {
                RequestedModel = requested,
                Source = DecisionSource.PinnedTier,
                Tier = Parts.Tiers[tierIndex],
                Reason = Parts.PinnedTierReasons[tierIndex],
                Mapping = Parts.MappingName,
                Candidates = _candidatesByTier[tierIndex],
                RuleSetVersion = Parts.RuleSetVersion,
                MustMove = "the request names tier '" + Parts.Tiers[tierIndex] + "'",
            });
        }

        if (_pinned.TryGetValue(requested, out var pinned))
        {
            if (pinned[0].Model.Kind == ModelKind.Embedding)
            {
                throw new ChatRequestException(
                    "model_not_chat",
                    $"'{requested}' is an embeddings model: it turns text into vectors and cannot answer chat. Send it to POST /v1/embeddings, or use \"auto\", a tier or a chat model here.",
                    "model");
            }

            return ValueTask.FromResult(new RoutingDecision
            {
                RequestedModel = requested,
                Source = DecisionSource.PinnedModel,
                Tier = pinned[0].Tier,
                Reason = "model pinned by the request",
                Mapping = Parts.MappingName,
                Candidates = pinned,
                RuleSetVersion = Parts.RuleSetVersion,
                MustMove = "the request names model '" + requested + "'",
            });
        }

        if (Parts.AmbiguousIds.TryGetValue(requested, out var servedBy))
        {
            throw new ChatRequestException(
                "ambiguous_model",
                $"Several providers serve '{requested}' ({string.Join(", ", servedBy)}). Name one as provider/{requested}, e.g. {servedBy[0]}/{requested}.",
                "model");
        }

        throw new ChatRequestException(
            "model_not_found",
            $"The model '{requested}' does not exist here. Use \"auto\", or a tier or model that GET /v1/models lists for your API key.",
            "model");
    }

    private ValueTask<RoutingDecision> DecideAutoAsync(ChatRequest request, CancellationToken cancellationToken)
    {
        var evaluation = RuleEvaluation.Rent(request, Parts.RegexTimeout);
        try
        {
            for (var i = 0; i < _rules.Length; i++)
            {
                var rule = _rules[i];
                if (!rule.Matches(evaluation))
                {
                    continue;
                }

                IReadOnlyList<RoutedModel> candidates;
                string tier;
                if (rule.PinnedModelKey is { } modelKey)
                {
                    candidates = _pinned[modelKey];
                    tier = candidates[0].Tier;
                }
                else
                {
                    candidates = _candidatesByTier[rule.TierIndex!.Value];
                    tier = Parts.Tiers[rule.TierIndex.Value];
                }

                return ValueTask.FromResult(new RoutingDecision
                {
                    RequestedModel = request.Model,
                    Source = DecisionSource.Rule,
                    Tier = tier,
                    Rule = rule.Name,
                    RulePosition = rule.Position,
                    Reason = rule.Reason,
                    Mapping = Parts.MappingName,
                    Candidates = candidates,
                    RuleSetVersion = Parts.RuleSetVersion,
                    RulesEvaluated = i + 1,
                    Notes = (IReadOnlyList<string>?)evaluation.Notes ?? [],
                    MustMove = rule.Hard,
                });
            }

            var notes = (IReadOnlyList<string>?)evaluation.Notes ?? [];
            var verdict = Parts.Classifier.ClassifyAsync(request, cancellationToken);
            return verdict.IsCompletedSuccessfully
                ? ValueTask.FromResult(FromVerdict(request, verdict.Result, notes))
                : AwaitVerdictAsync(request, verdict, notes);
        }
        finally
        {
            RuleEvaluation.Return(evaluation);
        }
    }

    private async ValueTask<RoutingDecision> AwaitVerdictAsync(ChatRequest request, ValueTask<ClassifierVerdict> pending, IReadOnlyList<string> notes) =>
        FromVerdict(request, await pending.ConfigureAwait(false), notes);

    private RoutingDecision FromVerdict(ChatRequest request, ClassifierVerdict verdict, IReadOnlyList<string> notes)
    {
        var index = _tierIndex.TryGetValue(verdict.Tier, out var found) ? found : _tierIndex[Parts.DefaultTier];
        return new RoutingDecision
        {
            RequestedModel = request.Model,
            Source = DecisionSource.Classifier,
            Tier = Parts.Tiers[index],
            Reason = _noRuleReasonPrefix + verdict.Reason,
            Classifier = Parts.Classifier.Name,
            ClassifierScore = verdict.Score,
            Mapping = Parts.MappingName,
            Candidates = _candidatesByTier[index],
            RuleSetVersion = Parts.RuleSetVersion,
            RulesEvaluated = _rules.Length,
            Notes = notes,
            Shadow = Parts.Shadow?.Decide(request),
        };
    }
}

/// <summary>What <see cref="SnapshotCompiler"/> produces; kept apart so the snapshot's constructor stays small.</summary>
internal sealed record SnapshotParts(
    IReadOnlyList<string> Tiers,
    string DefaultTier,
    string MappingName,
    int RuleSetVersion,
    CompiledRule[] Rules,
    RoutedModel[][] CandidatesByTier,
    string[] PinnedTierReasons,
    IReadOnlyList<RoutedModel> Models,
    FrozenDictionary<string, RoutedModel> ModelsByReference,
    FrozenDictionary<string, string[]> AmbiguousIds,
    IReadOnlyList<ProviderEndpoint> Providers,
    PriceBook Prices,
    RoutedModel? Baseline,
    ITierClassifier Classifier,
    TimeSpan RegexTimeout,
    CompiledExperiment[] Experiments,
    FrozenDictionary<long, string> KeyTeams,
    RoutingConfig Source)
{
    public CostConsole.Routing.Escalation.CompiledEscalation Escalation { get; init; } = CostConsole.Routing.Escalation.CompiledEscalation.None;

    public Privacy.PersonalDataDetector PersonalData { get; init; } = Privacy.PersonalDataDetector.BuiltIn;

    /// <summary>The rule set has a personal-data rule: requests with personal data go only to approved providers.</summary>
    public bool RoutesPersonalData { get; init; }

    public EmbeddingRoutes Embeddings { get; init; } = EmbeddingRoutes.None;
    /// <summary>A trained model deciding beside the classifier on every request the classifier decides; never served.</summary>
    internal Learning.ShadowRouter? Shadow { get; init; }
    /// <summary>The trained classifier's exploration share (0: never explore).</summary>
    public double Exploration { get; init; }
}
