using System.ClientModel;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Routing.Caching;
using CostConsole.Web.Caching;
using CostConsole.Web.Keys;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Chat;

namespace CostConsole.Web.Tests.Caching;

/// <summary>The response cache through /v1/chat/completions over real HTTP, with MiniLM and the simulator.</summary>
public sealed class CacheApiTests(CacheFactory factory) : IClassFixture<CacheFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Answer(HttpResponseMessage Response, string Body, RequestLogRow Row)
    {
        public string? Cache => Response.Headers.TryGetValues("x-costconsole-cache", out var values) ? values.Single() : null;

        public string Content => JsonDocument.Parse(Body).RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
    }

    private async Task<Answer> AskAsync(string prompt, string? key = CostConsoleFactory.ApiKey, object? metadata = null)
    {
        using var client = factory.CreateApiClient(key);
        var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = prompt } }, metadata }, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var id = response.Headers.GetValues("x-costconsole-request-id").Single();
        return new Answer(response, body, (await factory.LedgerAsync()).Single(r => r.RequestId == id));
    }

    private async Task<List<CacheEntryEntity>> StoredAsync()
    {
        await factory.Services.GetRequiredService<CacheEntryStore>().FlushAsync();
        var db = await factory.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>().CreateDbContextAsync(Ct);
        await using (db)
        {
            return await db.CacheEntries.AsNoTracking().ToListAsync(Ct);
        }
    }

    [Fact]
    public async Task A_repeated_question_is_an_exact_hit_answered_at_no_cost_with_its_baseline_entry_and_saving_in_the_ledger()
    {
        var first = await AskAsync("How do I export my invoices as a spreadsheet?");
        var second = await AskAsync("How do I export my invoices as a spreadsheet?");

        Assert.Equal("miss", first.Cache);
        Assert.Equal("exact", second.Cache);
        Assert.Equal("1", second.Response.Headers.GetValues("x-costconsole-cache-similarity").Single());
        Assert.Equal(first.Content, second.Content);
        Assert.Equal("0", second.Response.Headers.GetValues("x-costconsole-cost-usd").Single());
        Assert.True(first.Row.CostNanoUsd > 0);
        Assert.Equal(("miss", (string?)null), (first.Row.CacheLevel, first.Row.CacheEntryId));
        Assert.Equal("exact", second.Row.CacheLevel);
        Assert.Equal(0, second.Row.CostNanoUsd);
        Assert.True(second.Row.BaselineCostNanoUsd > 0);
        Assert.True(second.Row.CacheAvoidedCostNanoUsd > 0);
        Assert.Equal(first.Row.Model, second.Row.Model);
        var entry = Assert.Single(await StoredAsync(), e => e.Prompt == "How do I export my invoices as a spreadsheet?");
        Assert.Equal(entry.Id, second.Row.CacheEntryId);
        Assert.Equal(entry.Id, second.Response.Headers.GetValues("x-costconsole-cache-entry").Single());
        Assert.Contains($"served from cache (exact) entry {entry.Id}", second.Row.Decision, StringComparison.Ordinal);
        Assert.Equal(1, entry.Hits);
    }

    [Fact]
    public async Task A_paraphrase_is_a_semantic_hit_with_its_similarity()
    {
        var first = await AskAsync("How do I change my email address?");
        var second = await AskAsync("How can I change my email address?");

        Assert.Equal("semantic", second.Cache);
        var similarity = double.Parse(second.Response.Headers.GetValues("x-costconsole-cache-similarity").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(similarity, new CachePolicy().Threshold, 1.0);
        Assert.Equal(first.Content, second.Content);
        Assert.Equal(("semantic", 0L), (second.Row.CacheLevel, second.Row.CostNanoUsd));
        Assert.Equal(similarity, second.Row.CacheSimilarity!.Value, 4);
    }

    [Theory]
    [InlineData("Which plans include phone support?", "Which plans do not include phone support?")]
    [InlineData("How many users does the plan for 10 seats allow?", "How many users does the plan for 25 seats allow?")]
    [InlineData("How do I turn on two-factor authentication?", "How do I turn off two-factor authentication?")]
    public async Task A_negated_or_renumbered_question_is_a_miss_that_the_model_answers(string stored, string asked)
    {
        await AskAsync(stored);
        var second = await AskAsync(asked);

        Assert.Equal("miss", second.Cache);
        Assert.Equal("miss", second.Row.CacheLevel);
        Assert.True(second.Row.CostNanoUsd > 0);
        Assert.Contains("cache miss: content gate:", second.Row.Decision, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_question_from_another_key_is_a_miss()
    {
        var (created, other) = await factory.Services.GetRequiredService<KeyService>().CreateAsync(new KeyForm { Name = "other-tenant", Team = "partners" }, "alice", Ct);
        Assert.True(created.Saved, created.Summary);
        await AskAsync("What does the enterprise plan include?");

        var elsewhere = await AskAsync("What does the enterprise plan include?", other!.Secret);
        var again = await AskAsync("What does the enterprise plan include?", other.Secret);

        Assert.Equal("miss", elsewhere.Cache);
        Assert.Equal("exact", again.Cache);
        Assert.Equal(2, (await StoredAsync()).Count(e => e.Prompt == "What does the enterprise plan include?"));
    }

    [Fact]
    public async Task A_personal_request_is_never_stored_nor_served()
    {
        var flagged = await AskAsync("What is the weather like in summer where you ship from?", metadata: new { personal = "true" });
        var flaggedAgain = await AskAsync("What is the weather like in summer where you ship from?", metadata: new { personal = "true" });
        var order = await AskAsync("Where is order 884213?");
        var orderAgain = await AskAsync("Where is order 884213?");

        Assert.Equal(["miss", "miss", "miss", "miss"], new[] { flagged.Cache, flaggedAgain.Cache, order.Cache, orderAgain.Cache });
        Assert.Contains("cache miss: personal (an order or account number)", orderAgain.Row.Decision, StringComparison.Ordinal);
        var stored = await StoredAsync();
        Assert.DoesNotContain(stored, e => e.Prompt.Contains("weather", StringComparison.Ordinal) || e.Prompt.Contains("884213", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Erasing_a_key_deletes_its_cached_answers_and_leaves_other_keys_answers()
    {
        const string Prompt = "Which browsers does the CRM support?";
        var (created, other) = await factory.Services.GetRequiredService<KeyService>().CreateAsync(new KeyForm { Name = "erased-tenant", Team = "partners" }, "alice", Ct);
        Assert.True(created.Saved, created.Summary);
        var mine = await AskAsync(Prompt, other!.Secret);
        var theirs = await AskAsync(Prompt);
        Assert.Equal(2, (await StoredAsync()).Count(e => e.Prompt == Prompt));

        using var client = factory.CreateApiClient(CostConsoleFactory.ApiKey);
        using var response = await client.PostAsJsonAsync("/api/privacy/erase", new { key = mine.Row.ApiKeyId }, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var result = System.Text.Json.JsonDocument.Parse(body);

        Assert.Equal(1, result.RootElement.GetProperty("cache_entries").GetInt32());
        var left = (await StoredAsync()).Where(e => e.Prompt == Prompt).ToList();
        Assert.Equal(["key:" + theirs.Row.ApiKeyId], left.Select(e => e.Namespace));
        Assert.Equal("exact", (await AskAsync(Prompt)).Cache);
    }

    [Fact]
    public async Task A_request_in_which_the_personal_data_detectors_found_a_phone_number_is_never_stored()
    {
        const string Prompt = "Can someone call me back on +44 20 7946 0958 about the upgrade?";
        var first = await AskAsync(Prompt);
        var again = await AskAsync(Prompt);

        Assert.Equal(["miss", "miss"], new[] { first.Cache, again.Cache });
        Assert.Contains("cache miss: personal (personal data: phone 1)", again.Row.Decision, StringComparison.Ordinal);
        Assert.DoesNotContain(await StoredAsync(), e => e.Prompt.Contains("7946", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_streaming_client_gets_a_hit_as_a_stream_with_usage_and_a_stored_stream_answers_a_later_request()
    {
        const string Prompt = "Can I use the CRM offline on a plane?";
        var client = new ChatClient("auto", new ApiKeyCredential(CostConsoleFactory.ApiKey), new OpenAIClientOptions { Endpoint = new Uri(factory.BaseAddress, "/v1") });

        async Task<(string Text, ChatTokenUsage? Usage)> StreamAsync()
        {
            var text = new StringBuilder();
            ChatTokenUsage? usage = null;
            var updates = client.CompleteChatStreamingAsync([new UserChatMessage(Prompt)], new ChatCompletionOptions(), Ct);
            await foreach (var update in updates)
            {
                foreach (var part in update.ContentUpdate)
                {
                    text.Append(part.Text);
                }

                usage ??= update.Usage;
            }

            return (text.ToString(), usage);
        }

        var streamedMiss = await StreamAsync();
        var streamedHit = await StreamAsync();
        var plain = await AskAsync(Prompt);

        Assert.False(string.IsNullOrWhiteSpace(streamedMiss.Text));
        Assert.Equal(streamedMiss.Text, streamedHit.Text);
        Assert.NotNull(streamedHit.Usage);
        Assert.True(streamedHit.Usage!.OutputTokenCount > 0);
        Assert.Equal("exact", plain.Cache);
        Assert.Equal(streamedMiss.Text, plain.Content);
        var rows = (await factory.LedgerAsync()).Where(r => r.Prompt != null && r.Prompt.Contains(Prompt, StringComparison.Ordinal)).ToList();
        Assert.Equal(["miss", "exact", "exact"], rows.Select(r => r.CacheLevel));
        Assert.Equal([true, true, false], rows.Select(r => r.Stream));
    }

    [Fact]
    public async Task A_raw_streamed_hit_carries_the_cache_headers_and_ends_with_done()
    {
        await AskAsync("Do you offer a discount for charities?");
        using var client = factory.CreateApiClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(new { model = "auto", stream = true, stream_options = new { include_usage = true }, messages = new[] { new { role = "user", content = "Do you offer a discount for charities?" } } }),
        };

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("exact", response.Headers.GetValues("x-costconsole-cache").Single());
        Assert.Contains("\"choices\":[],", body, StringComparison.Ordinal);
        Assert.Contains("\"finish_reason\":\"stop\"", body, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Entries_written_to_the_database_read_back_as_they_were_stored_vector_included_for_the_next_start()
    {
        await AskAsync("How do I archive an old deal?");
        var store = factory.Services.GetRequiredService<CacheEntryStore>();
        await store.FlushAsync();
        var live = factory.Services.GetRequiredService<ResponseCache>();
        var restarted = new ResponseCache(store, TimeProvider.System, factory.Services.GetRequiredService<CostConsole.Routing.Embeddings.IEmbedder>());
        restarted.Apply(live.Settings);

        restarted.Load(await store.LoadAsync(DateTimeOffset.UtcNow, Ct));
        var original = live.Entries().Single(e => e.Prompt == "How do I archive an old deal?");
        var loaded = restarted.Entries().Single(e => e.Prompt == "How do I archive an old deal?");

        Assert.Equal((original.Id, original.Answer, original.Namespace, original.Fingerprint), (loaded.Id, loaded.Answer, loaded.Namespace, loaded.Fingerprint));
        Assert.Equal(original.Vector, loaded.Vector);
    }
}
