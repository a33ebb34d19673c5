namespace CostConsole.Routing.Learning;

/// <summary>How the trained router turns per-tier probabilities into one tier.</summary>
public static class TierPolicy
{
    /// <summary>
    /// The cheapest tier whose probability of an acceptable answer reaches <paramref name="target"/>; when none
    /// does, the tier most likely to be acceptable (the most capable one on a tie).
    /// </summary>
    public static int CheapestReaching(ReadOnlySpan<double> probabilities, double target)
    {
        var best = probabilities.Length - 1;
        for (var i = 0; i < probabilities.Length; i++)
        {
            if (probabilities[i] >= target)
            {
                return i;
            }

            if (probabilities[i] > probabilities[best])
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>The tier maximising P(acceptable) − λ × relative cost (costs on the same 0..1 scale, the top tier 1).</summary>
    public static int BestTradeOff(ReadOnlySpan<double> probabilities, ReadOnlySpan<double> relativeCosts, double lambda)
    {
        var best = 0;
        var bestValue = double.NegativeInfinity;
        for (var i = 0; i < probabilities.Length; i++)
        {
            var value = probabilities[i] - (lambda * relativeCosts[i]);
            if (value > bestValue)
            {
                best = i;
                bestValue = value;
            }
        }

        return best;
    }
}
