using CostConsole.Routing.Requests;

namespace CostConsole.Routing.Classification;

/// <summary>The classifier's answer for a request no rule caught, with what the trace shows of it.</summary>
public readonly record struct ClassifierVerdict(string Tier, double? Score, string Reason);

/// <summary>Decides the tier of a request that no rule caught. Implementations are immutable parts of a snapshot.</summary>
public interface ITierClassifier
{
    string Name { get; }

    ValueTask<ClassifierVerdict> ClassifyAsync(ChatRequest request, CancellationToken cancellationToken);
}

/// <summary>Sends every uncaught request to the rule set's default tier.</summary>
internal sealed class DefaultTierClassifier(string tier) : ITierClassifier
{
    private readonly ClassifierVerdict _verdict = new(tier, null, $"default tier {tier}");

    public string Name => "default-tier";

    public ValueTask<ClassifierVerdict> ClassifyAsync(ChatRequest request, CancellationToken cancellationToken) => ValueTask.FromResult(_verdict);
}
