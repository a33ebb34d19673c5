using System.Net;
using System.Net.Http.Json;
using CostConsole.Web.Metrics;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Metrics;

/// <summary>The app with a metadata field configured to name the end user when a request has no <c>user</c> field.</summary>
public sealed class EndUserFactory() : CostConsoleFactory(new() { ["CostConsole:Ledger:EndUserField"] = "customer_id" });

/// <summary>Every protocol's way of naming the end user reaches the ledger, and the Spend page ranks them.</summary>
public sealed class EndUserLedgerTests(EndUserFactory factory) : IClassFixture<EndUserFactory>
{
    private static readonly CancellationToken Cancel = TestContext.Current.CancellationToken;

    private async Task<string> SendAsync(string path, object body, bool anthropic = false)
    {
        using var client = factory.CreateApiClient(anthropic ? null : CostConsoleFactory.ApiKey);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        if (anthropic)
        {
            request.Headers.Add("x-api-key", CostConsoleFactory.ApiKey);
            request.Headers.Add("anthropic-version", "2023-06-01");
        }

        using var response = await client.SendAsync(request, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues("x-costconsole-request-id").Single();
    }

    private static object[] Hello => [new { role = "user", content = "Where is my order?" }];

    [Fact]
    public async Task The_user_field_anthropic_user_id_responses_user_and_the_configured_metadata_field_each_name_the_end_user()
    {
        var chat = await SendAsync("/v1/chat/completions", new { model = "auto", messages = Hello, user = "  chat-user-1  " });
        var messages = await SendAsync("/v1/messages", new { model = "auto", max_tokens = 50, messages = Hello, metadata = new { user_id = "anthropic-user-2" } }, anthropic: true);
        var responses = await SendAsync("/v1/responses", new { model = "auto", input = "Where is my order?", user = "responses-user-3" });
        var byMetadata = await SendAsync("/v1/chat/completions", new { model = "auto", messages = Hello, metadata = new { customer_id = "cust-4" } });
        var userWins = await SendAsync("/v1/chat/completions", new { model = "auto", messages = Hello, user = "named-5", metadata = new { customer_id = "cust-6" } });
        var nobody = await SendAsync("/v1/chat/completions", new { model = "auto", messages = Hello });

        var ledger = (await factory.LedgerAsync()).ToDictionary(r => r.RequestId, r => r.EndUser);
        Assert.Equal(
            ["chat-user-1", "anthropic-user-2", "responses-user-3", "cust-4", "named-5", null],
            new[] { chat, messages, responses, byMetadata, userWins, nobody }.Select(id => ledger[id]));
    }

    [Fact]
    public async Task A_very_long_user_id_is_cut_to_200_characters()
    {
        var id = await SendAsync("/v1/chat/completions", new { model = "auto", messages = Hello, user = new string('u', 5_000) });

        Assert.Equal(new string('u', 200), (await factory.LedgerAsync()).Single(r => r.RequestId == id).EndUser);
    }

    [Fact]
    public async Task The_spend_ranking_by_user_adds_up_each_end_users_requests()
    {
        for (var i = 0; i < 3; i++)
        {
            await SendAsync("/v1/chat/completions", new { model = "auto", messages = Hello, user = "ranked-heavy" });
        }

        await SendAsync("/v1/chat/completions", new { model = "auto", messages = Hello, user = "ranked-light" });

        var ranking = await factory.Services.GetRequiredService<SpendReport>()
            .RankAsync(SpendDimension.User, MetricsRange.Create(RangeKind.Day, DateTimeOffset.UtcNow.AddMinutes(1)), SpendReport.MaxTop, Cancel);
        var rows = (await factory.LedgerAsync()).Where(r => r.EndUser is "ranked-heavy" or "ranked-light").ToList();

        var heavy = ranking.Rows.Single(r => r.Name == "ranked-heavy");
        Assert.Equal(3, heavy.Current.Requests);
        Assert.Equal(rows.Where(r => r.EndUser == "ranked-heavy").Sum(r => r.CostNanoUsd), heavy.Current.CostNanoUsd);
        Assert.Equal(1, ranking.Rows.Single(r => r.Name == "ranked-light").Current.Requests);
    }
}
