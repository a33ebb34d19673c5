using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CostConsole.Web.Access;
using CostConsole.Web.Requests;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Requests;

/// <summary>
/// Content search in the explorer over the prompts the ledger stored, through the app as a client sends traffic. Run
/// again on PostgreSQL (full-text search) by <see cref="Scale.PostgreSqlPromptSearchTests"/>; here on SQLite (FTS5).
/// </summary>
public class PromptSearchTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    private static readonly CancellationToken Cancel = TestContext.Current.CancellationToken;

    private RequestExplorer Explorer => factory.Services.GetRequiredService<RequestExplorer>();

    /// <summary>A word no other prompt has: letters only, so every tokenizer keeps it whole.</summary>
    private static string UniqueWord() => "kw" + string.Concat(Guid.NewGuid().ToString("N")[..10].Select(c => (char)('a' + Convert.ToInt32(c.ToString(), 16))));

    private async Task<string> SendAsync(string prompt, string? conversation = null, string? user = null, string? key = null)
    {
        using var client = factory.CreateApiClient(key ?? CostConsoleFactory.ApiKey);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = user is null
                ? JsonContent.Create(new { model = "auto", messages = new[] { new { role = "user", content = prompt } } })
                : JsonContent.Create(new { model = "auto", user, messages = new[] { new { role = "user", content = prompt } } }),
        };
        if (conversation is not null)
        {
            request.Headers.Add("x-costconsole-conversation", conversation);
        }

        using var response = await client.SendAsync(request, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues("x-costconsole-request-id").Single();
    }

    private async Task<List<string>> FindAsync(string text, string? tier = null)
    {
        var now = DateTimeOffset.UtcNow;
        var page = await Explorer.PageAsync(new RequestQuery(now.AddHours(-1), now.AddMinutes(1), Tier: tier, Text: text, PageSize: 100), Cancel);
        return [.. page.Rows.Select(r => r.RequestId)];
    }

    private async Task<List<string>> FindAsync(RequestQuery query) => [.. (await Explorer.PageAsync(query, Cancel)).Rows.Select(r => r.RequestId)];

    private static RequestQuery LastHour(string? text = null) => new(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddMinutes(1), Text: text, PageSize: 100);

    [Fact]
    public async Task By_relevance_the_prompts_holding_the_words_most_come_first_still_paged_and_filtered()
    {
        var word = UniqueWord();
        var conversation = "conv-rank-" + word;
        var thrice = await SendAsync($"{word} {word} {word} please", conversation);
        var once = await SendAsync($"A long question that mentions {word} only once among many other words about delivery, invoices, refunds and opening hours.");
        var twice = await SendAsync($"{word} again, {word} twice", conversation);

        Assert.Equal(RequestSort.Relevance, RequestQuery.DefaultSort(word));
        Assert.Equal([thrice, twice, once], await FindAsync(LastHour(word) with { Sort = RequestSort.Relevance }));
        Assert.Equal([twice, once, thrice], await FindAsync(LastHour(word)));
        Assert.Equal([once, twice, thrice], await FindAsync(LastHour(word) with { Sort = RequestSort.Relevance, Descending = false }));
        Assert.Equal([twice], await FindAsync(LastHour(word) with { Sort = RequestSort.Relevance, Conversation = conversation, PageSize = 1, Page = 1 }));
        var page = await Explorer.PageAsync(LastHour(word) with { Sort = RequestSort.Relevance, Conversation = conversation, PageSize = 1 }, Cancel);
        Assert.Equal([thrice], page.Rows.Select(r => r.RequestId));
        Assert.Equal(2, page.Total);
    }

    [Fact]
    public async Task Team_end_user_and_conversation_filters_combine_with_the_words_and_the_export_applies_them_too()
    {
        var word = UniqueWord();
        var (created, key) = await factory.Services.GetRequiredService<CostConsole.Web.Keys.KeyService>()
            .CreateAsync(new CostConsole.Web.Keys.KeyForm { Name = "search-" + word, Team = "team-" + word }, "test", Cancel);
        Assert.True(created.Saved, created.Summary);
        var alice = await SendAsync($"Refund for {word}, please.", "conv-a-" + word, user: "alice-" + word, key: key!.Secret);
        var bob = await SendAsync($"Refund for {word} too.", "conv-b-" + word, user: "bob-" + word, key: key.Secret);
        var other = await SendAsync($"Refund for {word} from another team.", "conv-a-" + word, user: "alice-" + word);

        Assert.Equal([bob, alice], await FindAsync(LastHour(word) with { Team = "team-" + word }));
        Assert.Equal([other, alice], await FindAsync(LastHour("refund " + word) with { EndUser = "alice-" + word }));
        Assert.Equal([alice], await FindAsync(LastHour(word) with { Team = "team-" + word, Conversation = "conv-a-" + word }));
        Assert.Equal([bob], await FindAsync(LastHour() with { EndUser = "bob-" + word }));
        Assert.Empty(await FindAsync(LastHour(word) with { Team = "team-" + word, EndUser = "nobody" }));
        var summary = (await Explorer.PageAsync(LastHour() with { EndUser = "bob-" + word }, Cancel)).Rows.Single();
        Assert.Equal(("team-" + word, $"user: Refund for {word} too."), (summary.Team, summary.PromptPreview));

        using var console = await factory.CreateConsoleClientAsync(Roles.Admin);
        var csv = await console.GetStringAsync($"/api/requests/export.csv?range=24h&team=team-{word}&user=alice-{word}&text={word}", Cancel);
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Contains(alice, lines[1], StringComparison.Ordinal);
        Assert.Contains($"team-{word},alice-{word},conv-a-{word}", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_answer_the_client_got_is_stored_streamed_or_not_and_found_by_its_words()
    {
        var word = UniqueWord();
        using var client = factory.CreateApiClient(CostConsoleFactory.ApiKey);
        using var plain = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = $"Where is parcel {word}?" } } }, Cancel);
        var plainId = plain.Headers.GetValues("x-costconsole-request-id").Single();
        var plainAnswer = (await plain.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
        using var streamed = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", stream = true, messages = new[] { new { role = "user", content = $"Where is parcel {word}, please?" } } }, Cancel);
        var streamedId = streamed.Headers.GetValues("x-costconsole-request-id").Single();
        var events = (await streamed.Content.ReadAsStringAsync(Cancel)).Split('\n')
            .Where(l => l.StartsWith("data: {", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l[6..]).RootElement)
            .Where(e => e.TryGetProperty("choices", out var choices) && choices.GetArrayLength() > 0);
        var streamedAnswer = string.Concat(events.Select(e => e.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : ""));

        Assert.False(string.IsNullOrWhiteSpace(plainAnswer));
        Assert.False(string.IsNullOrWhiteSpace(streamedAnswer));
        Assert.Equal(plainAnswer, (await Explorer.DetailAsync(plainId, Cancel))!.Row.Answer);
        Assert.Equal(streamedAnswer, (await Explorer.DetailAsync(streamedId, Cancel))!.Row.Answer);

        // A word of the answer that the prompt does not have finds the request, with the prompt's word or alone among its own.
        var answerWord = RequestExplorer.SearchWords(plainAnswer).First(w => w.Length > 3 && !"Where is parcel please".Contains(w, StringComparison.OrdinalIgnoreCase));
        Assert.Contains(plainId, await FindAsync($"{word} {answerWord}"));
        Assert.DoesNotContain(plainId, await FindAsync($"{word} {UniqueWord()}"));
    }

    [Fact]
    public async Task A_request_is_found_by_words_of_its_prompt_in_any_case_and_every_word_must_be_there()
    {
        // Answers are searched too: words no answer can hold keep the expectations to the prompts.
        var word = UniqueWord();
        var other = UniqueWord();
        var parcel = await SendAsync($"Where is my parcel {word} {other}? It was due on Monday.");
        var refund = await SendAsync($"Please refund order {word}, it arrived damaged.");

        Assert.Equal([refund, parcel], await FindAsync(word));
        Assert.Equal([parcel], await FindAsync($"{word.ToUpperInvariant()} {other}"));
        Assert.Empty(await FindAsync($"{word} {UniqueWord()}"));
        // The tier filter combines with the words: the tier the parcel question was answered on (an answer check may
        // have sent it up from the one the router chose) finds it, another tier does not.
        var parcelTier = (await Explorer.PageAsync(LastHour(word), Cancel)).Rows.Single(r => r.RequestId == parcel).Tier;
        Assert.NotNull(parcelTier);
        Assert.Equal([parcel], await FindAsync($"{other} {word}", tier: parcelTier));
        Assert.Empty(await FindAsync($"{other} {word}", tier: parcelTier == "large" ? "small" : "large"));
    }

    [Theory]
    [InlineData("\"")]
    [InlineData("'; DROP TABLE RequestLog; --")]
    [InlineData("NEAR(parcel damaged) OR *")]
    [InlineData("-parcel AND NOT ^refund:*")]
    [InlineData("a\"b' % _ \\ ( ) { } [ ] !")]
    public async Task Quotes_operators_and_sql_in_the_text_are_words_to_look_for_not_syntax(string text)
    {
        var word = UniqueWord();
        var id = await SendAsync($"Hostile search {word} test.");

        var found = await FindAsync($"{word} {text}");

        // The prompt has none of the text's words, so a text with words finds nothing and one without finds it by its word alone.
        Assert.Equal(RequestExplorer.SearchWords(text).Count == 0 ? [id] : [], found);
        Assert.Equal([id], await FindAsync($"\"{word}\""));
    }

    [Fact]
    public async Task A_text_without_any_word_is_refused_with_the_reason_and_the_export_says_so()
    {
        Assert.Equal("'*** ???' has no word to look for: give letters or digits.", RequestExplorer.CheckText("*** ???"));
        Assert.Null(RequestExplorer.CheckText("refund"));
        using var console = await factory.CreateConsoleClientAsync(Roles.Admin);

        using var response = await console.GetAsync("/api/requests/export.csv?range=24h&text=%22%22", Cancel);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("'\"\"' has no word to look for: give letters or digits.", (await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task An_erased_conversations_prompts_can_no_longer_be_found_and_the_export_follows_the_search()
    {
        var word = UniqueWord();
        var conversation = "conv-search-" + word;
        var erased = await SendAsync($"My address changed, {word} is the new one.", conversation);
        var kept = await SendAsync($"Another question about {word}.");
        using var console = await factory.CreateConsoleClientAsync(Roles.Admin);
        var exported = await console.GetStringAsync($"/api/requests/export.csv?range=24h&text={word}", Cancel);
        Assert.Contains(erased, exported, StringComparison.Ordinal);

        using var erase = await factory.CreateApiClient().PostAsJsonAsync("/api/privacy/erase", new { conversation }, Cancel);
        Assert.Equal(HttpStatusCode.OK, erase.StatusCode);

        Assert.Equal([kept], await FindAsync(word));
        Assert.Null((await Explorer.DetailAsync(erased, Cancel))!.Row.Answer);
        Assert.NotNull((await Explorer.DetailAsync(kept, Cancel))!.Row.Answer);
    }
}
