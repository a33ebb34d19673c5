using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CostConsole.Web.Tests.Infrastructure;

namespace CostConsole.Web.Tests.Api;

/// <summary>The simulator marked as speaking the Responses API, with prompts stored in full so responses can be stored and continued.</summary>
public sealed class StoringPassthroughFactory() : CostConsoleFactory(new()
{
    ["CostConsole:Catalogue:Providers:0:Name"] = "simulator",
    ["CostConsole:Catalogue:Providers:0:BaseUrl"] = "/sim/v1",
    ["CostConsole:Catalogue:Providers:0:NativeApis:0"] = "responses",
    ["CostConsole:Privacy:PromptStorage"] = "full",
});

/// <summary>
/// A request that continues a stored response (<c>previous_response_id</c>) or refers to its items
/// (<c>item_reference</c>) is passed through to a provider that speaks the Responses API, with the stored turns
/// written into its input, since the provider knows none of the console's ids.
/// </summary>
public sealed class ContinuedPassthroughTests(StoringPassthroughFactory factory) : IClassFixture<StoringPassthroughFactory>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private const string Question = "My order number is 4417. Where is it?";

    private const string FollowUp = "And when will it arrive?";

    private async Task<(HttpResponseMessage Response, JsonElement Json)> PostAsync(object body)
    {
        using var client = factory.CreateApiClient();
        var response = await client.PostAsJsonAsync("/v1/responses", body, Cancel);
        return (response, JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement.Clone());
    }

    private static long InputTokens(JsonElement response) => response.GetProperty("usage").GetProperty("input_tokens").GetInt64();

    [Fact]
    public async Task A_request_continuing_a_stored_response_is_passed_through_with_the_earlier_turn_in_its_input()
    {
        var (first, stored) = await PostAsync(new { model = "simulator/gpt-4.1-nano", input = Question });
        var (alone, single) = await PostAsync(new { model = "simulator/gpt-4.1-nano", input = FollowUp, store = false });

        var (second, continued) = await PostAsync(new { model = "simulator/gpt-4.1-nano", input = FollowUp, store = false, previous_response_id = stored.GetProperty("id").GetString() });

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, alone.StatusCode, second.StatusCode));
        // Stored, so answered by the console itself; the continuation is the provider's own response.
        Assert.DoesNotContain("sim", stored.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("resp_sim_", continued.GetProperty("id").GetString());
        Assert.StartsWith("resp_sim_", single.GetProperty("id").GetString());
        // The provider read the earlier question and answer before the follow-up.
        Assert.True(InputTokens(continued) > InputTokens(single) + InputTokens(stored) - 10, $"continued {InputTokens(continued)}, alone {InputTokens(single)}, first {InputTokens(stored)}");
        var row = await PassthroughTests.LedgerRowAsync(factory, second);
        Assert.True(PassthroughTests.Answered(row).GetProperty("passedThrough").GetBoolean());
        Assert.Equal(InputTokens(continued), row.PromptTokens);
    }

    [Fact]
    public async Task A_request_naming_a_stored_item_by_reference_is_passed_through_with_that_item_in_its_input()
    {
        var (_, stored) = await PostAsync(new { model = "simulator/gpt-4.1-nano", input = Question });
        var answer = stored.GetProperty("output").EnumerateArray().First(i => i.GetProperty("type").GetString() == "message").GetProperty("id").GetString();
        var (alone, single) = await PostAsync(new { model = "simulator/gpt-4.1-nano", input = new object[] { new { role = "user", content = Question }, new { role = "user", content = FollowUp } }, store = false });

        var (response, referred) = await PostAsync(new
        {
            model = "simulator/gpt-4.1-nano",
            store = false,
            input = new object[] { new { role = "user", content = Question }, new { type = "item_reference", id = answer }, new { role = "user", content = FollowUp } },
        });

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (alone.StatusCode, response.StatusCode));
        Assert.StartsWith("resp_sim_", referred.GetProperty("id").GetString());
        // The referenced answer was sent as text: more to read than the two questions alone.
        Assert.True(InputTokens(referred) > InputTokens(single), $"referred {InputTokens(referred)}, without the answer {InputTokens(single)}");
    }
}
