using System.Text.Json;
using System.Text.Json.Serialization;
using CostConsole.Data;
using CostConsole.Data.Catalogue;
using CostConsole.Data.Entities;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Escalation;
using CostConsole.Routing.Learning;
using CostConsole.Routing.Rules;
using CostConsole.Routing.Tokens;
using CostConsole.Training;
using CostConsole.Web.Routing;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Escalation;

/// <summary>The evaluation could not run: a bad file, unknown tiers, or a policy that does not compile. Nothing was changed.</summary>
public sealed class EscalationEvaluationException(string message) : Exception(message);

/// <summary>
/// Evaluates the published rule set's escalation policy (or the draft's, or a policy being edited) on a labelled
/// file with answers. Reads only: it never creates a draft or writes anything.
/// </summary>
public sealed class EscalationEvaluator(IDbContextFactory<CostConsoleDbContext> factory, RuleSetService ruleSets, ITokenCounter tokens)
{
    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Evaluates on <paramref name="file"/>; with <paramref name="policy"/>, that policy on the draft (or published) rule set.</summary>
    public async Task<EscalationEvaluationResult> EvaluateAsync(TextReader file, TierPair tiers, bool draft, EscalationPolicy? policy = null, CancellationToken cancellationToken = default)
    {
        var (definition, version, isDraft) = await RuleSetAsync(draft, cancellationToken);
        if (policy is not null)
        {
            definition = definition with { Escalation = policy };
        }

        RoutingSnapshot snapshot;
        try
        {
            snapshot = await ruleSets.CompileAsync(definition, version, cancellationToken);
        }
        catch (RoutingConfigException ex)
        {
            throw new EscalationEvaluationException("The escalation policy does not compile: " + string.Join(" ", ex.Errors));
        }

        var small = IndexOf(snapshot, tiers.SmallTier);
        var large = IndexOf(snapshot, tiers.LargeTier);
        if (large <= small)
        {
            throw new EscalationEvaluationException($"Tier '{tiers.LargeTier}' is not above tier '{tiers.SmallTier}': give the cheap tier first (tiers: {string.Join(", ", snapshot.Tiers)}).");
        }

        LabelledAnswerSet set;
        try
        {
            set = LabelledAnswersReader.Read(file, tiers);
        }
        catch (LabelledAnswersException ex)
        {
            throw new EscalationEvaluationException(ex.Message);
        }

        var routed = definition.Classifier.Kind is ClassifierKind.Llm or ClassifierKind.Hybrid
            ? null // Routing the file would ask the classifier's model once per row.
            : await RouteAsync(snapshot, set.Rows, small, version, isDraft, cancellationToken);
        return EscalationEvaluation.Evaluate(set, snapshot.Escalation.For(small), tiers, version, isDraft, routed);
    }

    /// <summary>
    /// The rule set's router on each row's prompt: above the cheap tier or not (a tier between the two counts as the
    /// large one, whose answer the file gives). With a trained classifier, the same at each quality target, rows a
    /// rule decides keeping the rule's tier.
    /// </summary>
    private async Task<RoutedRows> RouteAsync(RoutingSnapshot snapshot, IReadOnlyList<LabelledAnswer> rows, int small, int version, bool draft, CancellationToken cancellationToken)
    {
        var large = new bool[rows.Count];
        var byClassifier = new bool[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var decision = await RouterTrainingService.DecideAsync(snapshot, rows[i].Prompt, tokens, cancellationToken);
            large[i] = IndexOf(snapshot, decision.Tier) > small;
            byClassifier[i] = decision.Source == DecisionSource.Classifier;
        }

        var curve = new List<(double, IReadOnlyList<bool>)>();
        if (snapshot.Classifier is ITrainedClassifier trained)
        {
            var model = trained.Router;
            var tiers = snapshot.Tiers.ToList();
            var positions = model.Tiers.Select(t => tiers.IndexOf(t)).ToArray();
            var scores = rows.Select((row, i) => byClassifier[i] ? model.Score(row.Prompt) : null).ToArray();
            foreach (var target in RouterEvaluator.Targets)
            {
                curve.Add((target, [.. scores.Select((p, i) => p is null ? large[i] : positions[TierPolicy.CheapestReaching(p, target)] > small)]));
            }
        }

        return new RoutedRows(draft ? "the draft" : $"rule set v{version}", large, curve);
    }

    public static string ToJson(EscalationEvaluationResult result) => JsonSerializer.Serialize(result, JsonOptions);

    private static int IndexOf(RoutingSnapshot snapshot, string tier)
    {
        for (var i = 0; i < snapshot.Tiers.Count; i++)
        {
            if (string.Equals(snapshot.Tiers[i], tier, StringComparison.Ordinal))
            {
                return i;
            }
        }

        throw new EscalationEvaluationException($"There is no tier '{tier}' (tiers: {string.Join(", ", snapshot.Tiers)}).");
    }

    private async Task<(RuleSetDefinition Definition, int Version, bool Draft)> RuleSetAsync(bool draft, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var query = db.RuleSets.AsNoTracking();
        var entity = draft ? await query.FirstOrDefaultAsync(r => r.Status == RuleSetStatus.Draft, cancellationToken) : null;
        entity ??= await query.Where(r => r.Status == RuleSetStatus.Published).OrderByDescending(r => r.Version).FirstAsync(cancellationToken);
        return (JsonSerializer.Deserialize<RuleSetDefinition>(entity.DefinitionJson, RoutingJson.Options)!, entity.Version, entity.Status == RuleSetStatus.Draft);
    }
}
