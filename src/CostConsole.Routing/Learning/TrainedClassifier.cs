using System.Globalization;
using System.Text;
using CostConsole.Routing.Classification;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Rules;

namespace CostConsole.Routing.Learning;

/// <summary>
/// The trained router as a classifier: scores the last user message (with the conversation's turns and tools)
/// and applies the rule set's policy. The verdict's score is the chosen tier's probability; the reason lists every
/// tier's, so the trace shows how close the call was. Synchronous, no I/O.
/// </summary>
internal sealed class TrainedClassifier : ITierClassifier, ITrainedClassifier
{
    private readonly TrainedRouter _router;
    private readonly string[] _tiers;
    private readonly double[] _relativeCosts;
    private readonly TrainedPolicy _policy;
    private readonly double _target;
    private readonly double _lambda;
    private readonly string _prefix;
    private readonly string _policyText;

    public TrainedClassifier(TrainedRouter router, string[] tiers, double[] relativeCosts, TrainedClassifierDefinition definition)
    {
        _router = router;
        Definition = definition;
        _tiers = tiers;
        _relativeCosts = relativeCosts;
        _policy = definition.Policy;
        _target = definition.QualityTarget;
        _lambda = definition.Lambda;
        _prefix = $"trained {router.Model.Reference}: P(acceptable) ";
        _policyText = _policy == TrainedPolicy.QualityTarget
            ? string.Create(CultureInfo.InvariantCulture, $"; cheapest tier ≥ {_target:0.00} → ")
            : string.Create(CultureInfo.InvariantCulture, $"; best P − {_lambda:0.###} × cost → ");
    }

    public string Name => "trained";

    public TrainedRouter Router => _router;

    public TrainedClassifierDefinition Definition { get; }

    public ValueTask<ClassifierVerdict> ClassifyAsync(ChatRequest request, CancellationToken cancellationToken)
    {
        Span<double> probabilities = stackalloc double[_tiers.Length];
        _router.Score(request.LastUserText, request.UserTurns, request.HasTools, probabilities);
        var chosen = _policy == TrainedPolicy.QualityTarget
            ? TierPolicy.CheapestReaching(probabilities, _target)
            : TierPolicy.BestTradeOff(probabilities, _relativeCosts, _lambda);

        var reason = new StringBuilder(_prefix, _prefix.Length + 96);
        for (var i = 0; i < _tiers.Length; i++)
        {
            reason.Append(i == 0 ? "" : ", ").Append(_tiers[i]).Append(' ').Append(probabilities[i].ToString("0.00", CultureInfo.InvariantCulture));
        }

        reason.Append(_policyText).Append(_tiers[chosen]);
        return ValueTask.FromResult(new ClassifierVerdict(_tiers[chosen], Math.Round(probabilities[chosen], 4), reason.ToString()));
    }
}

/// <summary>What the host may read of a compiled trained classifier: its model and its policy.</summary>
public interface ITrainedClassifier
{
    TrainedRouter Router { get; }

    TrainedClassifierDefinition Definition { get; }
}
