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
}
