using CostConsole.Routing.Caching;

namespace CostConsole.Routing.Tests.Caching;

/// <summary>The threshold check reads labelled pairs and reports precision and recall with their 95% intervals.</summary>
public sealed class ThresholdCheckTests
{
    [Fact]
    public void Pairs_are_read_with_or_without_a_header_and_quoted_commas()
    {
        var pairs = ThresholdCheck.Parse("prompt_a,prompt_b,same_answer\n\"Hi, where is my parcel?\",Where's my parcel?,true\nTurn on alerts,Turn off alerts,no\n");

        Assert.Equal([("Hi, where is my parcel?", "Where's my parcel?", true, 2), ("Turn on alerts", "Turn off alerts", false, 3)], pairs.Select(p => (p.PromptA, p.PromptB, p.SameAnswer, p.Line)));
    }

    [Theory]
    [InlineData("", "The file is empty")]
    [InlineData("a,b\n", "Line 1: expected 3 fields")]
    [InlineData("a,b,maybe\n", "Line 1: same_answer is 'maybe'; write true or false.")]
    [InlineData("prompt_a,prompt_b,same_answer\n", "a header but no pairs")]
    [InlineData("a,,true\n", "Line 1: both prompts must have text.")]
    public void A_file_that_is_not_pairs_is_refused_with_the_line_and_the_fix(string text, string message)
    {
        var error = Assert.Throws<LabelledPairException>(() => ThresholdCheck.Parse(text));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_curve_counts_a_pair_as_served_only_at_or_above_the_threshold_and_through_the_gate()
    {
        ScoredPair Pair(double similarity, bool same, string? gate = null) => new(new LabelledPair("a", "b", same, 1), similarity, gate);
        var scored = new[] { Pair(0.95, true), Pair(0.91, true), Pair(0.85, true), Pair(0.96, false, "a number differs"), Pair(0.92, false) };

        var curve = ThresholdCheck.Curve(scored, [0.9, 0.95]);

        Assert.Equal((2, 1, 1), (curve[0].TruePositives, curve[0].FalsePositives, curve[0].FalseNegatives));
        Assert.Equal(2 / 3.0, curve[0].Precision!.Value, 6);
        Assert.Equal((1, 0, 2), (curve[1].TruePositives, curve[1].FalsePositives, curve[1].FalseNegatives));
        Assert.Equal(1.0, curve[1].Precision);
    }

    [Fact]
    public void The_wilson_interval_matches_the_textbook_values()
    {
        var (low, high) = ThresholdCheck.Wilson(8, 10);
        var (zeroLow, zeroHigh) = ThresholdCheck.Wilson(0, 20);

        Assert.Equal((0.4902, 0.9433), (Math.Round(low, 4), Math.Round(high, 4)));
        Assert.Equal(0, zeroLow);
        Assert.Equal(0.1611, Math.Round(zeroHigh, 4));
    }
}
