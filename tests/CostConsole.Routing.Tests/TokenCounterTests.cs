using System.Diagnostics;
using System.Text;
using CostConsole.Routing.Tokens;

namespace CostConsole.Routing.Tests;

public sealed class TokenCounterTests
{
    [Fact]
    public void Counts_a_short_sentence_like_the_o200k_encoding()
    {
        // "Hello, world!" is 4 tokens in o200k_base: "Hello", ",", " world", "!".
        Assert.Equal(4, O200kTokenCounter.Instance.CountTokens("Hello, world!"));
    }

    [Fact]
    public void Counts_ordinary_prose_exactly_as_the_encoding_does()
    {
        var prose = string.Concat(Enumerable.Repeat("The customer asked why the March invoice was charged twice, and whether a refund is on its way. ", 400));

        Assert.Equal(Microsoft.ML.Tokenizers.TiktokenTokenizer.CreateForEncoding("o200k_base").CountTokens(prose), O200kTokenCounter.Instance.CountTokens(prose));
    }

    [Fact]
    public void Counts_a_long_run_without_whitespace_within_a_token_per_chunk_of_the_exact_count()
    {
        var run = new string('x', 3_000);
        var exact = Microsoft.ML.Tokenizers.TiktokenTokenizer.CreateForEncoding("o200k_base").CountTokens(run);

        var counted = O200kTokenCounter.Instance.CountTokens(run);

        Assert.InRange(counted, exact, exact + (run.Length / O200kTokenCounter.LongestRun) + 1);
    }

    [Fact]
    public void Stops_counting_when_the_caller_is_gone()
    {
        using var gone = new CancellationTokenSource();
        gone.Cancel();

        Assert.Throws<OperationCanceledException>(() => O200kTokenCounter.Instance.CountTokens(new string('a', 1_000_000), gone.Token));
    }

    [Fact]
    public void A_megabyte_of_one_letter_is_counted_in_the_time_a_megabyte_of_prose_takes()
    {
        // Not a timing target (the benchmark holds that): the quadratic tokenizer took minutes here, so a bound of
        // many times the prose time only fails when counting is superlinear again.
        var letters = new string('a', 1_000_000);
        var prose = new StringBuilder();
        while (prose.Length < 1_000_000)
        {
            prose.Append("Please reset the password for account ").Append(prose.Length).Append(" and confirm by email. ");
        }

        O200kTokenCounter.Instance.CountTokens("warm up");
        var started = Stopwatch.GetTimestamp();
        O200kTokenCounter.Instance.CountTokens(prose.ToString());
        var proseTime = Stopwatch.GetElapsedTime(started);
        started = Stopwatch.GetTimestamp();
        O200kTokenCounter.Instance.CountTokens(letters);
        var lettersTime = Stopwatch.GetElapsedTime(started);

        Assert.True(lettersTime < proseTime * 20 + TimeSpan.FromSeconds(1), $"1 MB of 'a' took {lettersTime.TotalMilliseconds:0} ms; 1 MB of prose {proseTime.TotalMilliseconds:0} ms");
    }
}
