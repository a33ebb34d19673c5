using System.Text;
using System.Text.Json;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Learning;
using CostConsole.Routing.Rules;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;
using CostConsole.Training;

namespace CostConsole.Web.Routing;

/// <summary>What to train: the operating point and how much to hold out.</summary>
public sealed record RouterTrainingSettings
{
    public string Name { get; init; } = "trained";

    public double QualityTarget { get; init; } = TrainedClassifierDefinition.DefaultQualityTarget;

    /// <summary>When set, the operating point is instead the highest quality target sending at most this share to the top tier.</summary>
    public double? MaxTopShare { get; init; }

    public double HoldOut { get; init; } = 0.2;
}

/// <summary>
/// A training run's answer: the model (not yet stored or published) and its held-out metrics beside the published
/// router, and, when the published router's classifier is itself a trained model, that model's metrics on the same examples.
/// </summary>
public sealed record RouterTrainingReport(TrainedRouterModel Model, double QualityTarget, int TrainExamples, int HeldOutExamples, RouterEvaluation Evaluation)
{
    /// <summary>The published trained model ("name@version"), when the published classifier is one.</summary>
    public string? PublishedModel { get; init; }

    /// <summary>The published trained model on the same held-out examples, at its own quality target.</summary>
    public RouterEvaluation? PublishedModelEvaluation { get; init; }
}

/// <summary>An evaluation's answer: the published router on the file, and the trained model's curve when there is one.</summary>
public sealed record RouterEvaluationReport(int Examples, IReadOnlyList<string> Tiers, RoutingPoint Published, string? TrainedModel, RouterEvaluation? Trained);

/// <summary>
/// Labelled files in, trained routers and evaluations out: the one implementation behind the console's panel,
/// <c>POST /api/router/train</c> and <c>/evaluate</c>, and the <c>train-router</c> / <c>evaluate-router</c> commands.
/// Nothing here changes routing.
/// </summary>
public sealed class RouterTrainingService(RoutingState routing, ITokenCounter tokens, TimeProvider time)
{
    /// <exception cref="LabelledFileException">The file or the tier mapping cannot be used.</exception>
    public LabelledSet Read(Stream file, string fileName, string? tierModels)
    {
        var tiers = routing.Current.Tiers;
        var models = string.IsNullOrWhiteSpace(tierModels) ? null : TierModels.Parse(tierModels, tiers);
        return LabelledFile.Read(file, fileName, tiers, models);
    }

    public RouterTrainingReport Train(LabelledSet set, RouterTrainingSettings settings, IProgress<double>? progress = null, CancellationToken cancellationToken = default)
    {
        var snapshot = routing.Current;
        var options = new TrainingOptions { Name = Slug(settings.Name), HoldOut = settings.HoldOut };
        var costs = RelativeCosts(snapshot, set.Tiers);
        var published = PublishedRouter(snapshot, set.Tiers);
        var result = RouterTraining.Run(set, options, settings.QualityTarget, time.GetUtcNow(), costs, published, progress, cancellationToken);
        var evaluation = result.Evaluation;
        var target = settings.QualityTarget;
        var (_, test) = RouterTraining.Split(set, options.HoldOut);
        if (settings.MaxTopShare is { } share)
        {
            target = RouterEvaluator.TargetForTopShare(evaluation, share);
            var router = TrainedRouter.Compile(result.Model, [])!;
            evaluation = RouterEvaluator.Evaluate(router, test, target, costs, published);
        }

        var live = snapshot.Classifier as ITrainedClassifier;
        return new RouterTrainingReport(result.Model, target, result.TrainExamples, result.HeldOutExamples, evaluation)
        {
            PublishedModel = live?.Router.Model.Reference,
            PublishedModelEvaluation = live is null ? null : RouterEvaluator.Evaluate(live.Router, test, live.Definition.QualityTarget, costs),
        };
    }

    /// <param name="model">A model to score beside the published router; by default the published router's own trained model, if it has one.</param>
    public RouterEvaluationReport Evaluate(LabelledSet set, TrainedRouterModel? model = null, double? qualityTarget = null)
    {
        var snapshot = routing.Current;
        var costs = RelativeCosts(snapshot, set.Tiers);
        var published = PublishedRouter(snapshot, set.Tiers);
        var point = RouterEvaluator.Routed(set, published, costs);
        var trained = snapshot.Classifier as ITrainedClassifier;
        var router = model is null ? trained?.Router : TrainedRouter.Compile(model, []);
        var target = qualityTarget ?? trained?.Definition.QualityTarget ?? TrainedClassifierDefinition.DefaultQualityTarget;
        var evaluation = router is null ? null : RouterEvaluator.Evaluate(router, set, target, costs, published);
        return new RouterEvaluationReport(set.Examples.Count, set.Tiers, point, router?.Model.Reference, evaluation);
    }

    /// <summary>Each of <paramref name="tiers"/>' price relative to the most expensive: input plus output per million tokens of its first model.</summary>
    public static double[] RelativeCosts(RoutingSnapshot snapshot, IReadOnlyList<string> tiers)
    {
        var now = DateTimeOffset.UtcNow;
        var prices = tiers.Select(t => snapshot.CandidatesFor(t).FirstOrDefault() is { } model && snapshot.Prices.PriceAt(model.Key, now) is { } price
            ? (double)(price.InputPerMillion + price.OutputPerMillion)
            : double.NaN).ToArray();
        var top = prices.Where(p => !double.IsNaN(p)).DefaultIfEmpty(0).Max();
        return top <= 0 || prices.Any(double.IsNaN) ? RouterEvaluator.DefaultCosts(tiers.Count) : [.. prices.Select(p => p / top)];
    }

    /// <summary>The published router's decision for a prompt, as an index into <paramref name="tiers"/> (a tier between two of them counts as the one above).</summary>
    public Func<LabelledPrompt, int> PublishedRouter(RoutingSnapshot snapshot, IReadOnlyList<string> tiers)
    {
        var routerTiers = snapshot.Tiers;
        var position = tiers.Select(t => IndexOf(routerTiers, t)).ToArray();
        return example =>
        {
            var decision = DecideAsync(snapshot, example.Prompt, tokens).AsTask().GetAwaiter().GetResult();
            var routed = IndexOf(routerTiers, decision.Tier);
            for (var i = 0; i < position.Length; i++)
            {
                if (position[i] >= routed)
                {
                    return i;
                }
            }

            return tiers.Count - 1;
        };
    }

    /// <summary>How <paramref name="snapshot"/> routes a prompt sent alone as a user message with <c>model: "auto"</c>.</summary>
    public static async ValueTask<RoutingDecision> DecideAsync(RoutingSnapshot snapshot, string prompt, ITokenCounter tokens, CancellationToken cancellationToken = default)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new { model = "auto", messages = new[] { new { role = "user", content = prompt } } });
        using var request = ChatRequestParser.Parse(body, null, tokens);
        return await snapshot.DecideAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private static int IndexOf(IReadOnlyList<string> tiers, string tier)
    {
        for (var i = 0; i < tiers.Count; i++)
        {
            if (string.Equals(tiers[i], tier, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

    private static string Slug(string name)
    {
        var builder = new StringBuilder();
        foreach (var c in name.Trim().ToLowerInvariant())
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) ? c : '-');
        }

        var slug = builder.ToString().Trim('-');
        return slug.Length == 0 ? "trained" : slug[..Math.Min(slug.Length, 40)];
    }
}
