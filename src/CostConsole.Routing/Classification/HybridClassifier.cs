using CostConsole.Routing.Requests;

namespace CostConsole.Routing.Classification;

/// <summary>
/// The semantic classifier first; the LLM only when no example is similar enough, so the model is paid for
/// only on requests the examples do not cover. The trace shows why the LLM was asked and what it answered.
/// </summary>
internal sealed class HybridClassifier(SemanticClassifier semantic, LlmClassifier llm) : ITierClassifier, IClassifierCounters, IVectorisedClassifier, IThresholdProbe
{
    public string Name => "hybrid";

    public long ModelCalls => semantic.ModelCalls + llm.ModelCalls;

    public long UnparseableAnswers => llm.UnparseableAnswers;

    public long FailedCalls => semantic.FailedCalls + llm.FailedCalls;

    public string Vectoriser => semantic.Vectoriser;

    public int ExampleCount => semantic.ExampleCount;

    public string? ExampleError => semantic.ExampleError;

    public double Threshold => semantic.Threshold;

    internal SemanticClassifier Semantic => semantic;

    public ValueTask<NearestExamples> NearestAsync(ChatRequest request, CancellationToken cancellationToken) => semantic.NearestAsync(request, cancellationToken);

    internal LlmClassifier Llm => llm;

    public ValueTask<ClassifierVerdict> ClassifyAsync(ChatRequest request, CancellationToken cancellationToken)
    {
        var text = request.LastUserText;
        var pending = semantic.EvaluateAsync(request, cancellationToken);
        if (!pending.IsCompletedSuccessfully)
        {
            return AwaitSemanticAsync(pending, text, cancellationToken);
        }

        var outcome = pending.Result;
        return outcome.Confident ? ValueTask.FromResult(outcome.Verdict) : AskLlmAsync(outcome.Shortfall!, text, cancellationToken);
    }

    private async ValueTask<ClassifierVerdict> AwaitSemanticAsync(ValueTask<SemanticOutcome> pending, string text, CancellationToken cancellationToken)
    {
        var outcome = await pending.ConfigureAwait(false);
        return outcome.Confident ? outcome.Verdict : await AskLlmAsync(outcome.Shortfall!, text, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<ClassifierVerdict> AskLlmAsync(string shortfall, string text, CancellationToken cancellationToken)
    {
        var answer = await llm.AskAsync(text, cancellationToken).ConfigureAwait(false);
        return answer with { Reason = shortfall + "; " + answer.Reason };
    }
}
