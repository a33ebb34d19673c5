using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using static CostConsole.Routing.Tests.TestRouting;

namespace CostConsole.Routing.Tests;

/// <summary>
/// The ledger's prompt hash is what groups repeated prompts: hashed piece by piece, it must stay the hash of the whole
/// prompt text, so rows written before and after still group together.
/// </summary>
public sealed class PromptHashTests
{
    [Theory]
    [InlineData("Where is my order #150631?")]
    [InlineData("日本語のお問い合わせ 😀 — café, naïve, <b>&amp;</b>\n\nsecond paragraph")]
    [InlineData("")]
    public void The_hash_is_that_of_the_whole_prompt_text(string question)
    {
        var longAnswer = string.Concat(Enumerable.Repeat("The invoice INV-2291 lists two seats. ", 200));
        using var request = Raw(JsonSerializer.Serialize(new
        {
            model = "auto",
            messages = new object[]
            {
                new { role = "system", content = "You are the support assistant of an online shop." },
                new { role = "user", content = question },
                new { role = "assistant", content = longAnswer },
                new { role = "user", content = new object[] { new { type = "text", text = "and the refund?" }, new { type = "text", text = "thanks 🙏" } } },
            },
        }));

        var expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(request.PromptText())));

        Assert.Equal(expected, request.PromptHash());
    }

    [Fact]
    public void Different_prompts_hash_differently()
    {
        using var first = Request("Where is my order?");
        using var second = Request("Where is my order!");

        Assert.NotEqual(first.PromptHash(), second.PromptHash());
    }
}
