using CostConsole.Data.Metrics;

namespace CostConsole.Web.Tests.Metrics;

public sealed class LatencyHistogramTests
{
    private static readonly double[] Latencies = [.. Enumerable.Range(0, 5000).Select(i => 40 + Math.Pow(i % 997, 1.7) * 0.9 + (i % 13) * 17.0)];

    private static double Exact(IEnumerable<double> values, double quantile)
    {
        var sorted = values.Order().ToList();
        return sorted[(int)Math.Ceiling(quantile * sorted.Count) - 1];
    }

    [Theory]
    [InlineData(0.50)]
    [InlineData(0.95)]
    [InlineData(0.99)]
    public void Percentiles_are_within_ten_percent_of_the_exact_ones(double quantile)
    {
        var histogram = new LatencyHistogram();
        foreach (var latency in Latencies)
        {
            histogram.Add(latency);
        }

        var exact = Exact(Latencies, quantile);
        Assert.InRange(histogram.Percentile(quantile)!.Value, exact * 0.9, exact * 1.1);
    }

    [Fact]
    public void Histograms_of_parts_merged_from_storage_equal_the_histogram_of_the_whole()
    {
        var whole = new LatencyHistogram();
        var merged = new LatencyHistogram();
        foreach (var part in Latencies.Chunk(700))
        {
            var piece = new LatencyHistogram();
            foreach (var latency in part)
            {
                piece.Add(latency);
                whole.Add(latency);
            }

            merged.Merge(piece.Encode());
        }

        Assert.Equal(whole.Encode(), merged.Encode());
        Assert.Equal(Latencies.Length, merged.Count);
        Assert.Equal(whole.Percentile(0.95), merged.Percentile(0.95));
    }

    [Fact]
    public void An_empty_histogram_has_no_percentile_and_stores_as_nothing()
    {
        var empty = new LatencyHistogram();

        Assert.Null(empty.Percentile(0.5));
        Assert.Empty(empty.Encode());
        Assert.Equal(0, LatencyHistogram.Decode([]).Count);
    }

    [Fact]
    public void Sub_millisecond_and_very_long_latencies_land_in_the_end_buckets()
    {
        Assert.Equal(0, LatencyHistogram.BucketOf(0.3));
        Assert.Equal(0, LatencyHistogram.BucketOf(double.NaN));
        Assert.Equal(LatencyHistogram.BucketCount - 1, LatencyHistogram.BucketOf(TimeSpan.FromHours(5).TotalMilliseconds));
        Assert.Equal(1, LatencyHistogram.BucketOf(1.0));
    }
}
