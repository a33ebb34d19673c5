namespace CostConsole.Routing.Escalation;

/// <summary>
/// An answer's confidence from its tokens' log probabilities: a low quantile of the token probabilities, not their
/// mean — a long answer of confident filler would hide the few tokens the model was guessing.
/// </summary>
public static class Confidence
{
    /// <summary>The <paramref name="quantile"/> (0..1) of exp(logprob) over the tokens, linearly interpolated; null without tokens.</summary>
    public static double? LowQuantile(IReadOnlyList<double>? logprobs, double quantile)
    {
        if (logprobs is null || logprobs.Count == 0)
        {
            return null;
        }

        var probabilities = new double[logprobs.Count];
        for (var i = 0; i < probabilities.Length; i++)
        {
            probabilities[i] = Math.Exp(Math.Min(0, logprobs[i]));
        }

        Array.Sort(probabilities);
        var position = Math.Clamp(quantile, 0, 1) * (probabilities.Length - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, probabilities.Length - 1);
        return probabilities[lower] + ((probabilities[upper] - probabilities[lower]) * (position - lower));
    }
}
