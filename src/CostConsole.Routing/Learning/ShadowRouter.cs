using CostConsole.Routing.Classification;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Rules;

namespace CostConsole.Routing.Learning;

/// <summary>
/// What a trained model in shadow would have chosen for a request the published classifier decided: recorded in the
/// trace and the ledger, never served. <see cref="Tier"/> is null when the shadow failed; <see cref="Reason"/> says why.
/// </summary>
public sealed record ShadowVerdict(string Model, string? Tier, double? Score, string Reason)
{
    public bool Failed => Tier is null;
}

/// <summary>
/// A trained model deciding beside the published classifier. It reads only the parsed request (no embedding, no
/// upstream call) and never throws: whatever goes wrong becomes a failed verdict, so the served decision cannot change.
/// </summary>
internal sealed class ShadowRouter(ITierClassifier classifier, string model, TrainedClassifierDefinition definition)
{
    private readonly string _failedPrefix = $"shadow {model} failed: ";

    public string Model { get; } = model;

    public TrainedClassifierDefinition Definition { get; } = definition;

    public ShadowVerdict Decide(ChatRequest request)
    {
        try
        {
            var pending = classifier.ClassifyAsync(request, CancellationToken.None);
            if (!pending.IsCompletedSuccessfully)
            {
                // A shadow never makes a request wait; a trained classifier always answers at once.
                _ = pending.AsTask().ContinueWith(static t => t.Exception, TaskScheduler.Default);
                return new ShadowVerdict(Model, null, null, _failedPrefix + "it did not answer at once");
            }

            var verdict = pending.Result;
            return new ShadowVerdict(Model, verdict.Tier, verdict.Score, verdict.Reason);
        }
        catch (Exception ex)
        {
            // Recorded and ignored: a shadow must never fail the request it watches.
            return new ShadowVerdict(Model, null, null, _failedPrefix + ex.Message);
        }
    }
}
