namespace CostConsole.Data.Metrics;

/// <summary>
/// Latency counts in fixed log-scale buckets (each 20 % wider than the last, from 1 ms to about 30 minutes), so
/// histograms of minutes and hours merge by adding counts and percentiles come out within one bucket (±10 %).
/// Stored sparsely: (bucket index, LEB128 count) for each non-empty bucket.
/// </summary>
public sealed class LatencyHistogram
{
    public const int BucketCount = 80;

    private const double Growth = 1.2;
    private static readonly double LogGrowth = Math.Log(Growth);

    private readonly long[] _counts = new long[BucketCount];

    public long Count { get; private set; }

    /// <summary>Bucket 0 holds [0, 1) ms; bucket i ≥ 1 holds [1.2^(i-1), 1.2^i) ms; the last bucket holds everything above.</summary>
    public static int BucketOf(double milliseconds)
    {
        if (!(milliseconds >= 1))
        {
            return 0;
        }

        var index = 1 + (int)Math.Floor(Math.Log(milliseconds) / LogGrowth);
        return Math.Min(index, BucketCount - 1);
    }

    /// <summary>The value a bucket stands for: its geometric middle.</summary>
    public static double ValueOf(int bucket) => bucket == 0 ? 0.5 : Math.Pow(Growth, bucket - 0.5);

    public void Add(double milliseconds) => AddToBucket(BucketOf(milliseconds), 1);

    public void Merge(LatencyHistogram other)
    {
        for (var i = 0; i < BucketCount; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
    }

    /// <summary>Adds a histogram in its stored form without materialising it.</summary>
    public void Merge(ReadOnlySpan<byte> encoded)
    {
        var position = 0;
        while (position < encoded.Length)
        {
            int bucket = encoded[position++];
            long count = 0;
            var shift = 0;
            byte b;
            do
            {
                b = encoded[position++];
                count |= (long)(b & 0x7F) << shift;
                shift += 7;
            }
            while ((b & 0x80) != 0);

            if (bucket < BucketCount)
            {
                AddToBucket(bucket, count);
            }
        }
    }

    public long this[int bucket] => _counts[bucket];

    /// <summary>
    /// The latency below which a fraction <paramref name="quantile"/> of requests fall; null when empty. Within the
    /// bucket that holds the rank, the value is interpolated on the log scale, so percentiles move smoothly.
    /// </summary>
    public double? Percentile(double quantile)
    {
        if (Count == 0)
        {
            return null;
        }

        var rank = Math.Clamp((long)Math.Ceiling(quantile * Count), 1, Count);
        long seen = 0;
        for (var i = 0; i < BucketCount; i++)
        {
            var count = _counts[i];
            if (seen + count >= rank)
            {
                var fraction = (rank - seen - 0.5) / count;
                return i == 0 ? fraction : Math.Pow(Growth, i - 1 + fraction);
            }

            seen += count;
        }

        return ValueOf(BucketCount - 1);
    }

    public byte[] Encode()
    {
        Span<byte> buffer = stackalloc byte[BucketCount * 11];
        var length = 0;
        for (var i = 0; i < BucketCount; i++)
        {
            var count = (ulong)_counts[i];
            if (count == 0)
            {
                continue;
            }

            buffer[length++] = (byte)i;
            do
            {
                var b = (byte)(count & 0x7F);
                count >>= 7;
                buffer[length++] = count == 0 ? b : (byte)(b | 0x80);
            }
            while (count != 0);
        }

        return buffer[..length].ToArray();
    }

    public static LatencyHistogram Decode(ReadOnlySpan<byte> encoded)
    {
        var histogram = new LatencyHistogram();
        histogram.Merge(encoded);
        return histogram;
    }

    private void AddToBucket(int bucket, long count)
    {
        _counts[bucket] += count;
        Count += count;
    }
}
