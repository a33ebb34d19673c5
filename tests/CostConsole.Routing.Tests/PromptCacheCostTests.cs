using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Pricing;
using CostConsole.Routing.Providers;
using static CostConsole.Routing.Tests.TestRouting;

namespace CostConsole.Routing.Tests;

public sealed class PromptCacheCostTests
{
    private const decimal NanoPerUsd = 1_000_000_000m;

    // 10,000 prompt tokens: 6,000 read from the provider's cache, 3,000 written to it, 1,000 plain; 200 completion.
    private static readonly TokenUsage CachedCall = new(10_000, 6_000, 200) { CacheWriteTokens = 3_000 };

    [Fact]
    public void Cache_reads_and_cache_writes_are_billed_at_their_own_prices()
    {
        var price = new ModelPrice("anthropic/sonnet", PriceStart, 3.00m, 0.30m, 15.00m, CacheWritePerMillion: 3.75m);

        // 1,000 × $3/M + 6,000 × $0.30/M + 3,000 × $3.75/M + 200 × $15/M
        // = 3,000 + 1,800 + 11,250 + 3,000 = 19,050 µ$ = 19,050,000 n$
        Assert.Equal(19_050_000m, CostCalculator.Cost(price, CachedCall) * NanoPerUsd);
    }

    [Fact]
    public void A_model_without_cache_prices_bills_reads_and_writes_as_input()
    {
        var price = new ModelPrice("backup/big-backup", PriceStart, 1.00m, null, 4.00m);

        // 10,000 × $1/M + 200 × $4/M = 10,000 + 800 µ$ = 10,800,000 n$
        Assert.Equal(10_800_000m, CostCalculator.Cost(price, CachedCall) * NanoPerUsd);
    }

    [Fact]
    public void Cache_writes_without_a_write_price_are_billed_as_input_while_reads_keep_their_price()
    {
        var price = new ModelPrice("openai/gpt", PriceStart, 2.00m, 0.50m, 8.00m);

        // 4,000 × $2/M (plain and written) + 6,000 × $0.50/M + 200 × $8/M = 8,000 + 3,000 + 1,600 µ$ = 12,600,000 n$
        Assert.Equal(12_600_000m, CostCalculator.Cost(price, CachedCall) * NanoPerUsd);
    }

    [Fact]
    public void A_batch_line_gets_the_batch_discount_on_cache_writes_too()
    {
        var price = new ModelPrice("anthropic/sonnet", PriceStart, 3.00m, 0.30m, 15.00m, BatchDiscount: 0.5m, CacheWritePerMillion: 3.75m);

        Assert.Equal(9_525_000m, CostCalculator.Cost(price.ForBatch(), CachedCall) * NanoPerUsd);
    }

    [Fact]
    public void Cache_usage_is_read_from_an_anthropic_reply_passed_through_litellm()
    {
        var reply = """
            {"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],
             "usage":{"prompt_tokens":10000,"completion_tokens":200,"total_tokens":10200,
                      "prompt_tokens_details":{"cached_tokens":6000},
                      "cache_creation_input_tokens":3000,"cache_read_input_tokens":6000}}
            """u8;

        Assert.Equal(CachedCall, ResponseInspector.Inspect(reply).Usage);
    }

    [Fact]
    public void Cache_reads_are_taken_from_cache_read_input_tokens_when_the_reply_has_no_prompt_details()
    {
        var reply = """
            {"usage":{"prompt_tokens":10000,"completion_tokens":200,"cache_read_input_tokens":6000,"cache_creation_input_tokens":3000}}
            """u8;

        Assert.Equal(CachedCall, ResponseInspector.Inspect(reply).Usage);
    }

    [Fact]
    public void An_openai_reply_reports_reads_and_no_writes()
    {
        var reply = """
            {"usage":{"prompt_tokens":10000,"completion_tokens":200,"prompt_tokens_details":{"cached_tokens":6000,"audio_tokens":0}}}
            """u8;

        var usage = ResponseInspector.Inspect(reply).Usage;

        Assert.Equal((6_000L, 0L), (usage.CachedPromptTokens, usage.CacheWriteTokens));
    }

    [Fact]
    public void A_messages_client_sees_cache_reads_and_writes_apart_from_input_tokens()
    {
        const string Completion = """
            {"id":"chatcmpl-1","object":"chat.completion","model":"claude","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"ok"}}]}
            """;

        var message = System.Text.Json.Nodes.JsonNode.Parse(
            Protocols.Messages.MessagesResponse.FromChatCompletion(System.Text.Encoding.UTF8.GetBytes(Completion), "msg_abc", "fallback", CachedCall).Span)!;

        Assert.Equal("""{"input_tokens":1000,"output_tokens":200,"cache_read_input_tokens":6000,"cache_creation_input_tokens":3000}""", message["usage"]!.ToJsonString());
    }

    [Fact]
    public void A_messages_stream_ends_with_the_cache_reads_and_writes_the_upstream_reported()
    {
        var stream = new Protocols.Messages.MessagesStream("msg_3", 10, Tokens.O200kTokenCounter.Instance);
        stream.Start("m");
        stream.Translate("""{"choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":"stop"}]}"""u8);
        stream.Translate("""{"choices":[],"usage":{"prompt_tokens":10000,"completion_tokens":200,"prompt_tokens_details":{"cached_tokens":6000},"cache_creation_input_tokens":3000}}"""u8);

        var usage = System.Text.Json.Nodes.JsonNode.Parse(stream.Finish()[1].Data.Span)!["usage"]!;

        Assert.Equal("""{"input_tokens":1000,"output_tokens":200,"cache_read_input_tokens":6000,"cache_creation_input_tokens":3000}""", usage.ToJsonString());
    }
}
