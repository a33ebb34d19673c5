using CostConsole.Routing.Classification;
using CostConsole.Routing.Evaluation;
using CostConsole.Routing.Rules;
using static CostConsole.Routing.Tests.ClassifierRouting;
using static CostConsole.Routing.Tests.TestRouting;

namespace CostConsole.Routing.Tests;

/// <summary>Choosing the semantic classifier's threshold from labelled prompts: the nearest examples' vote at any threshold, and the curve it gives.</summary>
public sealed class ThresholdCurveTests
{
    private static ThresholdSample Sample(string expected, string? voted, double similarity) => new(expected, new NearestExamples(voted, similarity));

    [Fact]
    public void Accuracy_counts_prompts_below_the_threshold_at_the_default_tier_and_coverage_counts_those_the_examples_decide()
    {
        // Two prompts the examples vote right for (0.8, 0.6), one they vote wrong for at 0.25 that belongs on the default tier.
        var curve = ThresholdCurve.From([Sample("small", "small", 0.8), Sample("large", "large", 0.6), Sample("medium", "small", 0.25)], "medium");

        Assert.Equal(101, curve.Points.Count);
        Assert.Equal((2 / 3.0, 1.0), (curve.At(0.2).Accuracy, curve.At(0.2).Coverage));
        Assert.Equal((1.0, 2 / 3.0), (curve.At(0.3).Accuracy, curve.At(0.3).Coverage));
        Assert.Equal((2 / 3.0, 1 / 3.0), (curve.At(0.7).Accuracy, curve.At(0.7).Coverage));
        Assert.Equal((1 / 3.0, 0.0), (curve.At(0.9).Accuracy, curve.At(0.9).Coverage));
    }

    [Fact]
    public void The_suggested_threshold_has_the_best_accuracy_and_sits_in_the_middle_of_the_range_that_has_it()
    {
        var curve = ThresholdCurve.From([Sample("small", "small", 0.8), Sample("large", "large", 0.6), Sample("medium", "small", 0.25)], "medium");

        // Every prompt is right from 0.26 to 0.60: the middle is 0.43.
        Assert.Equal(1.0, curve.Suggested.Accuracy);
        Assert.Equal(0.43, curve.Suggested.Threshold, 9);
        Assert.Equal(3, curve.Prompts);
    }

    [Fact]
    public async Task The_probe_reports_the_nearest_examples_vote_even_below_the_threshold_the_classifier_answers_at()
    {
        var strict = Snapshot(new ClassifierDefinition { Kind = ClassifierKind.Semantic, Semantic = ClassifierRouting.Semantic with { Threshold = 0.99 } });
        var probe = Assert.IsAssignableFrom<IThresholdProbe>(strict.Classifier);
        using var request = Request("Where is my parcel today?");

        var nearest = await probe.NearestAsync(request, TestContext.Current.CancellationToken);
        var verdict = await strict.Classifier.ClassifyAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(0.99, probe.Threshold, 9);
        Assert.Equal("small", nearest.Tier);
        Assert.InRange(nearest.Similarity, 0.3, 0.98);
        Assert.Equal("medium", verdict.Tier);
        Assert.Equal(nearest.Similarity, verdict.Score!.Value, 4);
    }
}
