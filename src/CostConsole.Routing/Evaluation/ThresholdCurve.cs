using CostConsole.Routing.Classification;

namespace CostConsole.Routing.Evaluation;

/// <summary>One labelled prompt as the examples see it: the tier it should get and the nearest examples' vote.</summary>
public sealed record ThresholdSample(string Expected, NearestExamples Nearest);

/// <summary>
/// At one threshold: the share of labelled prompts the classifier gets right (those below the threshold counted at
/// the tier they then go to) and the share the examples decide (the nearest example at least as similar as the threshold).
/// </summary>
public sealed record ThresholdPoint(double Threshold, double Accuracy, double Coverage);

/// <summary>
/// Accuracy and coverage of a nearest-example classifier on a labelled set at every threshold from 0 to 1 in
/// steps of 0.01, and the threshold to suggest: the middle of the widest run of thresholds with the best accuracy,
/// so the suggestion keeps a margin on both sides rather than sitting on the edge where a prompt flips.
/// </summary>
public sealed record ThresholdCurve(IReadOnlyList<ThresholdPoint> Points, ThresholdPoint Suggested, int Prompts)
{
    public const int Steps = 100;

    /// <param name="samples">The labelled prompts, at least one.</param>
    /// <param name="belowTier">Where a prompt goes when its nearest example is below the threshold (the default tier).</param>
    public static ThresholdCurve From(IReadOnlyList<ThresholdSample> samples, string belowTier)
    {
        ArgumentOutOfRangeException.ThrowIfZero(samples.Count);
        var points = new ThresholdPoint[Steps + 1];
        for (var step = 0; step <= Steps; step++)
        {
            var threshold = step / (double)Steps;
            int right = 0, covered = 0;
            foreach (var sample in samples)
            {
                // As the classifier compares: the examples decide when a nearest example exists and reaches the threshold.
                var decides = sample.Nearest.Tier is not null && sample.Nearest.Similarity >= threshold - 1e-9;
                var tier = decides ? sample.Nearest.Tier : belowTier;
                covered += decides ? 1 : 0;
                right += string.Equals(tier, sample.Expected, StringComparison.OrdinalIgnoreCase) ? 1 : 0;
            }

            points[step] = new ThresholdPoint(threshold, (double)right / samples.Count, (double)covered / samples.Count);
        }

        var best = points.Max(p => p.Accuracy);
        int runStart = -1, bestStart = 0, bestLength = 0;
        for (var i = 0; i <= Steps; i++)
        {
            if (points[i].Accuracy >= best - 1e-12)
            {
                runStart = runStart < 0 ? i : runStart;
                var length = i - runStart + 1;
                if (length > bestLength)
                {
                    (bestStart, bestLength) = (runStart, length);
                }
            }
            else
            {
                runStart = -1;
            }
        }

        return new ThresholdCurve(points, points[bestStart + ((bestLength - 1) / 2)], samples.Count);
    }

    /// <summary>The point at <paramref name="threshold"/>, rounded to the curve's steps.</summary>
    public ThresholdPoint At(double threshold) => Points[(int)Math.Round(Math.Clamp(threshold, 0, 1) * Steps)];
}
