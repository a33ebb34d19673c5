using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Routing.Pipeline;
using CostConsole.Web.Privacy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Privacy;

public sealed class RetentionAndErasureTests(PrivacyFactory factory) : IClassFixture<PrivacyFactory>
{
    private static readonly CancellationToken Cancel = TestContext.Current.CancellationToken;

    private async Task<CostConsoleDbContext> DbAsync() =>
        await factory.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>().CreateDbContextAsync(Cancel);

    private async Task<string> SendAsync(HttpClient client, object body, string? conversation = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = JsonContent.Create(body) };
        if (conversation is not null)
        {
            request.Headers.Add("x-costconsole-conversation", conversation);
        }

        using var response = await client.SendAsync(request, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues("x-costconsole-request-id").Single();
    }

    private static object Chat(string text, string? user = null) =>
        user is null
            ? new { model = "auto", messages = new[] { new { role = "user", content = text } } }
            : new { model = "auto", messages = new[] { new { role = "user", content = text } }, user };

    [Fact]
    public async Task Stored_prompts_older_than_the_retention_period_are_deleted_in_batches_and_the_costs_stay()
    {
        var now = DateTimeOffset.UtcNow;
        await using (var db = await DbAsync())
        {
            for (var i = 0; i < PromptRetention.BatchSize * 2 + 7; i++)
            {
                db.RequestLog.Add(Row($"req_old_{i:0000}", now.AddDays(-31), "user: an old question"));
            }

            db.RequestLog.Add(Row("req_recent_0001", now.AddDays(-29), "user: a recent question"));
            await db.SaveChangesAsync(Cancel);
        }

        // The service also purges on its own every hour; whichever run clears them, none is left.
        await factory.Services.GetRequiredService<PromptRetention>().PurgeAsync(Cancel);

        await using var check = await DbAsync();
        var old = await check.RequestLog.AsNoTracking().Where(r => r.RequestId.StartsWith("req_old_")).ToListAsync(Cancel);
        Assert.All(old, r => Assert.Equal((null, null, null, 1_000L, 10L), (r.Prompt, r.Answer, r.RoutingInput, r.CostNanoUsd, r.PromptTokens)));
        var recent = await check.RequestLog.AsNoTracking().SingleAsync(r => r.RequestId == "req_recent_0001", Cancel);
        Assert.Equal(("user: a recent question", "the stored answer"), (recent.Prompt, recent.Answer));
    }

    [Fact]
    public async Task Erasing_a_conversation_anonymises_its_ledger_rows_removes_its_review_items_and_is_audited()
    {
        using var client = factory.CreateApiClient();
        var first = await SendAsync(client, Chat("My card 4111 1111 1111 1111 was charged twice"), "conv-erase-1");
        var second = await SendAsync(client, Chat("And my address changed"), "conv-erase-1");
        var other = await SendAsync(client, Chat("Where is my parcel?"), "conv-keep-1");
        await using (var db = await DbAsync())
        {
            await db.RequestLog.Where(r => r.RequestId == second).ExecuteUpdateAsync(s => s.SetProperty(r => r.Review, (int)ReviewState.Open), Cancel);
            db.Feedback.Add(new FeedbackEntity { RequestId = first, ConversationId = "conv-erase-1", Comment = "Maria was upset", Origin = "test", CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow, Resolved = true });
            await db.SaveChangesAsync(Cancel);
        }

        var before = (await factory.LedgerAsync()).Single(r => r.RequestId == first);
        using var response = await client.PostAsJsonAsync("/api/privacy/erase", new { conversation = "conv-erase-1" }, Cancel);
        using var result = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((2, 1, 1), (result.RootElement.GetProperty("ledger_rows").GetInt32(), result.RootElement.GetProperty("review_items").GetInt32(), result.RootElement.GetProperty("feedback_comments").GetInt32()));
        var ledger = await factory.LedgerAsync();
        foreach (var erased in ledger.Where(r => r.RequestId == first || r.RequestId == second))
        {
            Assert.Equal((null, null, null, null, null), (erased.Prompt, erased.Answer, erased.RoutingInput, erased.PromptHash, erased.ConversationId));
            Assert.NotEqual((int)ReviewState.Open, erased.Review);
        }

        var after = ledger.Single(r => r.RequestId == first);
        Assert.Equal((before.CostNanoUsd, before.PromptTokens, before.CompletionTokens, before.Model), (after.CostNanoUsd, after.PromptTokens, after.CompletionTokens, after.Model));
        var kept = ledger.Single(r => r.RequestId == other);
        Assert.Equal(("conv-keep-1", "user: Where is my parcel?"), (kept.ConversationId, kept.Prompt));
        Assert.False(string.IsNullOrEmpty(kept.Answer));

        await using var db2 = await DbAsync();
        var feedback = await db2.Feedback.AsNoTracking().SingleAsync(f => f.RequestId == first, Cancel);
        Assert.Equal((null, null, true), (feedback.Comment, feedback.ConversationId, feedback.Resolved));
        var audit = await db2.AuditLog.AsNoTracking().SingleAsync(a => a.Action == "privacy.erase" && a.Subject == "conversation 'conv-erase-1'", Cancel);
        Assert.Equal("key:development", audit.Actor);
        Assert.StartsWith("2 ledger row(s) anonymised", audit.Details, StringComparison.Ordinal);
        Assert.Contains("1 review-queue item(s) removed", audit.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Erasing_an_end_user_finds_their_requests_by_the_user_field()
    {
        using var client = factory.CreateApiClient();
        var theirs = await SendAsync(client, Chat("Please call me back", user: "customer-4711"));
        var someoneElses = await SendAsync(client, Chat("Please call me back", user: "customer-9999"));

        using var response = await client.PostAsJsonAsync("/api/privacy/erase", new { user = "customer-4711" }, Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var ledger = await factory.LedgerAsync();
        Assert.Null(ledger.Single(r => r.RequestId == theirs).Prompt);
        Assert.Equal("user: Please call me back", ledger.Single(r => r.RequestId == someoneElses).Prompt);
        Assert.Null(ledger.Single(r => r.RequestId == theirs).EndUser);
        Assert.Equal("customer-9999", ledger.Single(r => r.RequestId == someoneElses).EndUser);
    }

    [Fact]
    public async Task Erasing_an_end_user_whose_prompts_were_never_stored_removes_the_user_from_their_ledger_rows()
    {
        using var client = factory.CreateApiClient();
        var theirs = await SendAsync(client, Chat("Where is my parcel?", user: "customer-5150"));
        await using (var db = await DbAsync())
        {
            // As under a policy that stores no prompt: the end user column is all that names them.
            await db.RequestLog.Where(r => r.RequestId == theirs).ExecuteUpdateAsync(s => s.SetProperty(r => r.Prompt, (string?)null).SetProperty(r => r.RoutingInput, (string?)null), Cancel);
        }

        using var response = await client.PostAsJsonAsync("/api/privacy/erase", new { user = "customer-5150" }, Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, (await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("ledger_rows").GetInt32());
        var row = (await factory.LedgerAsync()).Single(r => r.RequestId == theirs);
        Assert.Null(row.EndUser);
        Assert.True(row.CostNanoUsd > 0);
    }

    [Theory]
    [InlineData("""{"user":"a","conversation":"b"}""", "Give exactly one of \"user\"")]
    [InlineData("""{}""", "Give exactly one of \"user\"")]
    [InlineData("""{"user":"  "}""", "Give the end user whose data to erase.")]
    [InlineData("""{"key":"twelve"}""", "The body is not valid JSON")]
    public async Task A_bad_erasure_request_is_refused_with_the_reason_and_erases_nothing(string body, string reason)
    {
        using var client = factory.CreateApiClient();
        var audits = await CountAuditsAsync();

        using var response = await client.PostAsync("/api/privacy/erase", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Cancel);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(reason, error.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(audits, await CountAuditsAsync());
    }

    private async Task<int> CountAuditsAsync()
    {
        await using var db = await DbAsync();
        return await db.AuditLog.CountAsync(a => a.Action == "privacy.erase", Cancel);
    }

    private static RequestLogRow Row(string id, DateTimeOffset at, string prompt) => new()
    {
        RequestId = id,
        Timestamp = at,
        Status = (int)LedgerStatus.Answered,
        HttpStatus = 200,
        CostNanoUsd = 1_000,
        BaselineCostNanoUsd = 2_000,
        PromptTokens = 10,
        Prompt = prompt,
        Answer = "the stored answer",
        RoutingInput = """{"lastUserText":"an old question","userTurns":1}""",
    };
}

public sealed class RetentionSettingTests
{
    private sealed class NegativeRetentionFactory() : Infrastructure.CostConsoleFactory(new() { ["CostConsole:Privacy:RetentionDays"] = "-1" });

    [Fact]
    public async Task A_negative_retention_period_stops_the_app_at_start_with_the_reason()
    {
        await using var factory = new NegativeRetentionFactory();

        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => factory.Services);

        Assert.Contains("CostConsole:Privacy:RetentionDays must be a number of days", error.Message, StringComparison.Ordinal);
    }
}
