using System.Text.Json;
using CostConsole.Routing.Providers;
using static CostConsole.Routing.Tests.TestRouting;

namespace CostConsole.Routing.Tests;

/// <summary>The body sent upstream is sized to the client's: whatever its length or alphabet, the model gets all of it.</summary>
public sealed class UpstreamBodyTests
{
    [Theory]
    [InlineData(10)]
    [InlineData(3_000)]
    [InlineData(40_000)]
    public void A_body_of_any_length_reaches_the_upstream_whole(int length)
    {
        var text = string.Concat(Enumerable.Repeat("Where is my parcel? ", (length / 20) + 1))[..length];
        using var request = Raw(JsonSerializer.Serialize(new { model = "auto", messages = new[] { new { role = "user", content = text } }, temperature = 0.2, user = "cust-4821" }));

        using var upstream = JsonDocument.Parse(UpstreamBody.Create(request, "gpt-4.1-nano").ToMemory());

        var root = upstream.RootElement;
        Assert.Equal("gpt-4.1-nano", root.GetProperty("model").GetString());
        Assert.Equal(text, root.GetProperty("messages")[0].GetProperty("content").GetString());
        Assert.Equal("cust-4821", root.GetProperty("user").GetString());
    }

    [Fact]
    public void Text_the_writer_escapes_arrives_unchanged_even_when_it_outgrows_the_body()
    {
        // Every character here is written as one or two \uXXXX escapes: up to six times its UTF-8 size.
        var text = string.Concat(Enumerable.Repeat("日本語のお問い合わせ 😀 <ok> & 'quoted' \"x\"\n", 120));
        using var request = Raw(JsonSerializer.Serialize(new { model = "auto", messages = new[] { new { role = "user", content = text } }, stream = true }));

        using var upstream = JsonDocument.Parse(UpstreamBody.Create(request, "a-model-with-a-rather-long-name-2026-12-07", new UpstreamOptions(Logprobs: true)).ToMemory());

        var root = upstream.RootElement;
        Assert.Equal(text, root.GetProperty("messages")[0].GetProperty("content").GetString());
        Assert.Equal("a-model-with-a-rather-long-name-2026-12-07", root.GetProperty("model").GetString());
        Assert.True(root.GetProperty("logprobs").GetBoolean());
        Assert.True(root.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
    }
}
