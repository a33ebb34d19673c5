using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CostConsole.Web.Tests.Infrastructure;

namespace CostConsole.Web.Tests.Budgets;

public sealed class LimitsConsoleFactory() : CostConsoleFactory(new Dictionary<string, string?>
{
    ["CostConsole:Budgets:MaxRequestCostUsd"] = "0.0005",
    ["CostConsole:Budgets:ConversationTokenLimit"] = "300",
});

public sealed class RequestLimitTests(LimitsConsoleFactory factory) : IClassFixture<LimitsConsoleFactory>
{
    private static object Body(string model, int maxTokens) => new { model, max_tokens = maxTokens, messages = new[] { new { role = "user", content = "Summarise the customer's last three orders." } } };

    [Fact]
    public async Task A_request_whose_worst_case_is_over_the_per_request_cap_is_refused_before_any_model_is_called()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = factory.CreateApiClient();

        using var cheap = await client.PostAsJsonAsync("/v1/chat/completions", Body("gpt-4.1-nano", 200), ct);
        using var dear = await client.PostAsJsonAsync("/v1/chat/completions", Body("gpt-4.1", 4000), ct);

        Assert.Equal(HttpStatusCode.OK, cheap.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, dear.StatusCode);
        var error = JsonDocument.Parse(await dear.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("error");
        Assert.Equal("request_cost_cap", error.GetProperty("code").GetString());
        Assert.Equal("max_tokens", error.GetProperty("param").GetString());
        var row = (await factory.LedgerAsync()).Single(r => r.RequestId == dear.Headers.GetValues("x-costconsole-request-id").Single());
        Assert.Equal(0, row.CostNanoUsd);
        Assert.Empty(row.AttemptsJson is null ? [] : JsonDocument.Parse(row.AttemptsJson).RootElement.EnumerateArray().ToList());
    }

    [Fact]
    public async Task A_conversation_over_its_token_limit_is_refused_while_other_conversations_go_on()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = factory.CreateApiClient();
        client.DefaultRequestHeaders.Add("x-costconsole-conversation", "looping-agent");

        var statuses = new List<HttpStatusCode>();
        string? refusal = null;
        for (var i = 0; i < 8 && refusal is null; i++)
        {
            using var response = await client.PostAsJsonAsync("/v1/chat/completions", Body("gpt-4.1-nano", 100), ct);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                refusal = await response.Content.ReadAsStringAsync(ct);
            }
        }

        Assert.NotNull(refusal);
        Assert.True(statuses.Count >= 2, "The first requests of the conversation are answered.");
        var error = JsonDocument.Parse(refusal).RootElement.GetProperty("error");
        Assert.Equal("conversation_token_limit", error.GetProperty("code").GetString());
        Assert.Contains("'looping-agent'", error.GetProperty("message").GetString(), StringComparison.Ordinal);

        // Another conversation on the same key is not affected.
        using var other = factory.CreateApiClient();
        other.DefaultRequestHeaders.Add("x-costconsole-conversation", "fresh-start");
        using var fresh = await other.PostAsJsonAsync("/v1/chat/completions", Body("gpt-4.1-nano", 100), ct);
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
    }
}
