namespace CostConsole.Training;

/// <summary>The ranking and routing metrics of the trained router, as plain functions of scores and labels.</summary>
public static class RouterMetrics
{
    /// <summary>
    /// Area under the ROC curve: the probability that a random positive scores above a random negative (ties count
    /// half). Null when either class is empty.
    /// </summary>
    public static double? Auroc(IReadOnlyList<double> scores, IReadOnlyList<bool> positive)
    {
        var order = Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ToArray();
        double rankSum = 0;
        long positives = 0;
        var i = 0;
        while (i < order.Length)
        {
            var j = i;
            while (j + 1 < order.Length && scores[order[j + 1]] == scores[order[i]])
            {
                j++;
            }

            var averageRank = ((i + j) / 2.0) + 1;
            for (var k = i; k <= j; k++)
            {
                if (positive[order[k]])
                {
                    rankSum += averageRank;
                    positives++;
                }
            }

            i = j + 1;
        }

        long negatives = scores.Count - positives;
        if (positives == 0 || negatives == 0)
        {
            return null;
        }

        return (rankSum - (positives * (positives + 1) / 2.0)) / (positives * (double)negatives);
    }

    /// <summary>
    /// RouteLLM's performance-gap-recovered curve between a weak and a strong tier: requests are sent to the strong
    /// tier in order of <paramref name="strongPreference"/> (highest first); at each share x of strong calls,
    /// PGR(x) = (quality(x) − quality(all weak)) / (quality(all strong) − quality(all weak)). APGR is the area under
    /// PGR over x from 0 to 1 (trapezoids); CPT(p) is the smallest share of strong calls whose PGR reaches p.
    /// A random router's APGR is 0.5. Null when both tiers are equally good on these examples.
    /// </summary>
    public static GapRecovery? GapRecovered(IReadOnlyList<double> strongPreference, IReadOnlyList<double> weakQuality, IReadOnlyList<double> strongQuality)
    {
        var n = strongPreference.Count;
        var allWeak = weakQuality.Sum();
        var allStrong = strongQuality.Sum();
        var gap = allStrong - allWeak;
        if (n == 0 || Math.Abs(gap) < 1e-9)
        {
            return null;
        }

        var order = Enumerable.Range(0, n).OrderByDescending(i => strongPreference[i]).ThenBy(i => i).ToArray();
        var pgr = new double[n + 1];
        var quality = allWeak;
        for (var k = 1; k <= n; k++)
        {
            var i = order[k - 1];
            quality += strongQuality[i] - weakQuality[i];
            pgr[k] = (quality - allWeak) / gap;
        }

        double area = 0;
        for (var k = 1; k <= n; k++)
        {
            area += (pgr[k - 1] + pgr[k]) / 2 / n;
        }

        double? Cpt(double p)
        {
            for (var k = 0; k <= n; k++)
            {
                if (pgr[k] >= p - 1e-12)
                {
                    return (double)k / n;
                }
            }

            return null;
        }

        return new GapRecovery(area, Cpt(0.5), Cpt(0.8));
    }
}

/// <summary>APGR and the strong-tier share needed to recover 50% and 80% of the quality gap.</summary>
public sealed record GapRecovery(double Apgr, double? Cpt50, double? Cpt80);
