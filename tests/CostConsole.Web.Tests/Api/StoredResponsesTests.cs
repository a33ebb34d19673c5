using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Web.Keys;
using CostConsole.Web.Privacy;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Api;

/// <summary>The app with prompts stored in full: the setting under which the Responses API stores responses.</summary>
public sealed class FullPromptStorageFactory() : CostConsoleFactory(new() { ["CostConsole:Privacy:PromptStorage"] = "full" });

/// <summary><c>store</c>, <c>previous_response_id</c>, <c>GET</c> and <c>DELETE /v1/responses/{id}</c> over real HTTP.</summary>
public sealed class StoredResponsesTests(FullPromptStorageFactory factory) : IClassFixture<FullPromptStorageFactory>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private async Task<(HttpResponseMessage Response, JsonElement Json)> PostAsync(object body, string? key = CostConsoleFactory.ApiKey)
    {
        using var client = factory.CreateApiClient(key);
        var response = await client.PostAsJsonAsync("/v1/responses", body, Cancel);
        return (response, JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement.Clone());
    }

    private async Task<(HttpStatusCode Status, JsonElement Json)> SendAsync(HttpMethod method, string path, string? key = CostConsoleFactory.ApiKey)
    {
        using var client = factory.CreateApiClient(key);
        using var response = await client.SendAsync(new HttpRequestMessage(method, path), Cancel);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement.Clone());
    }

    private async Task<Data.Entities.RequestLogRow> RowAsync(HttpResponseMessage response) =>
        (await factory.LedgerAsync()).Single(r => r.RequestId == response.Headers.GetValues("x-costconsole-request-id").Single());

    private async Task<string> CreateKeyAsync(string name, string promptStorage = KeyForm.DefaultPromptStorage) => (await CreatedKeyAsync(name, promptStorage)).Secret;

    private async Task<CreatedKey> CreatedKeyAsync(string name, string promptStorage = KeyForm.DefaultPromptStorage)
    {
        var (result, key) = await factory.Services.GetRequiredService<KeyService>()
            .CreateAsync(new KeyForm { Name = name, Team = "team-" + name, PromptStorage = promptStorage }, "test", Cancel);
        Assert.True(result.Saved, result.Summary);
        return key!;
    }

    private static string Text(JsonElement response) => string.Concat(response.GetProperty("output").EnumerateArray()
        .Where(i => i.GetProperty("type").GetString() == "message")
        .SelectMany(i => i.GetProperty("content").EnumerateArray())
        .Select(p => p.GetProperty("text").GetString()));

    [Fact]
    public async Task A_later_request_continues_a_stored_response_and_the_model_receives_the_earlier_turn()
    {
        var (first, stored) = await PostAsync(new { model = "auto", input = "My order number is 4417. Where is it?" });
        var (second, continued) = await PostAsync(new { model = "auto", input = "And when will it arrive?", previous_response_id = stored.GetProperty("id").GetString() });

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.True(stored.GetProperty("store").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(stored.GetProperty("id").GetString(), continued.GetProperty("previous_response_id").GetString());

        // The ledger stores the prompt the model was sent: the earlier question and answer, then the new question.
        var prompt = (await RowAsync(second)).Prompt!;
        Assert.StartsWith("user: My order number is 4417. Where is it?\n\nassistant: " + Text(stored) + "\n\nuser: And when will it arrive?", prompt, StringComparison.Ordinal);
        first.Dispose();
        second.Dispose();
    }

    [Fact]
    public async Task A_function_output_alone_answers_the_call_of_the_response_it_continues()
    {
        var tools = new[] { new { type = "function", name = "get_weather", description = "Get the weather for a city", parameters = new { type = "object", properties = new { location = new { type = "string" } }, required = new[] { "location" } } } };
        var (first, called) = await PostAsync(new { model = "auto", input = "What is the weather in Paris?", tools, tool_choice = "required" });
        var call = called.GetProperty("output").EnumerateArray().Single(i => i.GetProperty("type").GetString() == "function_call");

        var (second, answered) = await PostAsync(new
        {
            model = "auto",
            previous_response_id = called.GetProperty("id").GetString(),
            input = new[] { new { type = "function_call_output", call_id = call.GetProperty("call_id").GetString(), output = "sunny and 21 degrees" } },
            tools,
        });

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Contains("sunny and 21 degrees", Text(answered), StringComparison.Ordinal);
        first.Dispose();
        second.Dispose();
    }

    [Fact]
    public async Task A_stored_response_can_be_fetched_and_deleted_and_then_is_not_found()
    {
        var (created, stored) = await PostAsync(new { model = "auto", input = "Where is my order? Tracking please." });
        var id = stored.GetProperty("id").GetString();

        var (fetchedStatus, fetched) = await SendAsync(HttpMethod.Get, $"/v1/responses/{id}");
        var (deletedStatus, deleted) = await SendAsync(HttpMethod.Delete, $"/v1/responses/{id}");
        var (goneStatus, gone) = await SendAsync(HttpMethod.Get, $"/v1/responses/{id}");
        var (againStatus, _) = await SendAsync(HttpMethod.Delete, $"/v1/responses/{id}");
        var (continuedResponse, continued) = await PostAsync(new { model = "auto", input = "hi", previous_response_id = id });

        Assert.Equal(HttpStatusCode.OK, fetchedStatus);
        Assert.Equal(stored.GetRawText(), fetched.GetRawText());
        Assert.Equal(HttpStatusCode.OK, deletedStatus);
        Assert.Equal((id, "response", true), (deleted.GetProperty("id").GetString(), deleted.GetProperty("object").GetString(), deleted.GetProperty("deleted").GetBoolean()));
        Assert.Equal(HttpStatusCode.NotFound, goneStatus);
        Assert.Equal(("invalid_request_error", "response_not_found"), (gone.GetProperty("error").GetProperty("type").GetString(), gone.GetProperty("error").GetProperty("code").GetString()));
        Assert.Contains(id!, gone.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, againStatus);
        Assert.Equal(HttpStatusCode.NotFound, continuedResponse.StatusCode);
        Assert.Equal(("previous_response_not_found", "previous_response_id"), (continued.GetProperty("error").GetProperty("code").GetString(), continued.GetProperty("error").GetProperty("param").GetString()));
        var row = await RowAsync(continuedResponse);
        Assert.Equal((2, 404, "previous_response_not_found", 0L), (row.Status, row.HttpStatus, row.ErrorCode, row.CostNanoUsd));
        created.Dispose();
        continuedResponse.Dispose();
    }

    [Fact]
    public async Task The_input_items_of_a_stored_response_are_listed_newest_first_and_paged_with_after()
    {
        var (first, stored) = await PostAsync(new { model = "auto", input = "My order number is 4417. Where is it?" });
        var (second, continued) = await PostAsync(new { model = "auto", input = "And when will it arrive?", previous_response_id = stored.GetProperty("id").GetString() });
        var id = continued.GetProperty("id").GetString();

        var (status, list) = await SendAsync(HttpMethod.Get, $"/v1/responses/{id}/input_items");
        var items = list.GetProperty("data").EnumerateArray().ToList();
        var (_, page) = await SendAsync(HttpMethod.Get, $"/v1/responses/{id}/input_items?order=asc&limit=2");
        var (_, rest) = await SendAsync(HttpMethod.Get, $"/v1/responses/{id}/input_items?order=asc&limit=2&after={page.GetProperty("last_id").GetString()}");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("list", list.GetProperty("object").GetString());
        Assert.Equal(
            ["user: And when will it arrive?", "assistant: " + Text(stored), "user: My order number is 4417. Where is it?"],
            items.Select(i => i.GetProperty("role").GetString() + ": " + i.GetProperty("content")[0].GetProperty("text").GetString()));
        Assert.Equal((items[0].GetProperty("id").GetString(), items[^1].GetProperty("id").GetString(), false),
            (list.GetProperty("first_id").GetString(), list.GetProperty("last_id").GetString(), list.GetProperty("has_more").GetBoolean()));
        Assert.True(page.GetProperty("has_more").GetBoolean());
        Assert.Equal(
            items.Select(i => i.GetProperty("id").GetString()).Reverse(),
            page.GetProperty("data").EnumerateArray().Concat(rest.GetProperty("data").EnumerateArray()).Select(i => i.GetProperty("id").GetString()));
        Assert.False(rest.GetProperty("has_more").GetBoolean());
        first.Dispose();
        second.Dispose();
    }

    [Theory]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=101", "limit")]
    [InlineData("?order=newest", "order")]
    [InlineData("?after=msg_nowhere_0", "after")]
    public async Task Input_items_asked_for_with_a_bad_parameter_are_refused_naming_it(string query, string param)
    {
        var (created, stored) = await PostAsync(new { model = "auto", input = "Where is my order? Tracking please." });

        var (status, error) = await SendAsync(HttpMethod.Get, $"/v1/responses/{stored.GetProperty("id").GetString()}/input_items{query}");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(("invalid_request_error", param), (error.GetProperty("error").GetProperty("type").GetString(), error.GetProperty("error").GetProperty("param").GetString()));
        Assert.Contains($"'{param}'", error.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        created.Dispose();
    }

    [Fact]
    public async Task An_item_reference_sends_the_stored_item_to_the_model_and_only_its_own_key_can_use_it()
    {
        var other = await CreateKeyAsync("referring-app", "full");
        var (first, stored) = await PostAsync(new { model = "auto", input = "My order number is 4417. Where is it?" });
        var answer = stored.GetProperty("output").EnumerateArray().Single(i => i.GetProperty("type").GetString() == "message").GetProperty("id").GetString();
        var (_, inputs) = await SendAsync(HttpMethod.Get, $"/v1/responses/{stored.GetProperty("id").GetString()}/input_items");
        var question = inputs.GetProperty("data")[0].GetProperty("id").GetString();
        object[] input =
        [
            new { type = "item_reference", id = question },
            new { type = "item_reference", id = answer },
            new { role = "user", content = "And when will it arrive?" },
        ];

        var (referred, _) = await PostAsync(new { model = "auto", input, store = false });
        var (foreign, refused) = await PostAsync(new { model = "auto", input, store = false }, other);

        Assert.Equal(HttpStatusCode.OK, referred.StatusCode);
        Assert.StartsWith("user: My order number is 4417. Where is it?\n\nassistant: " + Text(stored) + "\n\nuser: And when will it arrive?", (await RowAsync(referred)).Prompt!, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, foreign.StatusCode);
        Assert.Equal(("item_not_found", "input[0].id"), (refused.GetProperty("error").GetProperty("code").GetString(), refused.GetProperty("error").GetProperty("param").GetString()));
        first.Dispose();
        referred.Dispose();
        foreign.Dispose();
    }

    [Fact]
    public async Task Another_key_cannot_see_delete_or_continue_a_response()
    {
        var other = await CreateKeyAsync("other-app");
        var (created, stored) = await PostAsync(new { model = "auto", input = "Where is my order? Tracking please." });
        var id = stored.GetProperty("id").GetString();

        var (fetchedStatus, _) = await SendAsync(HttpMethod.Get, $"/v1/responses/{id}", other);
        var (deletedStatus, _) = await SendAsync(HttpMethod.Delete, $"/v1/responses/{id}", other);
        var (continued, _) = await PostAsync(new { model = "auto", input = "hi", previous_response_id = id }, other);
        var (ownStatus, _) = await SendAsync(HttpMethod.Get, $"/v1/responses/{id}");

        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound), (fetchedStatus, deletedStatus, continued.StatusCode));
        Assert.Equal(HttpStatusCode.OK, ownStatus);
        var (noKey, _) = await SendAsync(HttpMethod.Get, $"/v1/responses/{id}", key: null);
        Assert.Equal(HttpStatusCode.Unauthorized, noKey);
        created.Dispose();
        continued.Dispose();
    }

    [Fact]
    public async Task A_streamed_response_is_stored_with_its_output_and_usage()
    {
        using var client = factory.CreateApiClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/responses") { Content = JsonContent.Create(new { model = "auto", input = "Where is my order? Tracking please.", stream = true }) };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Cancel);
        var body = await response.Content.ReadAsStringAsync(Cancel);
        var completed = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Last();
        using var completedJson = JsonDocument.Parse(completed.Split('\n')[1]["data: ".Length..]);
        var streamed = completedJson.RootElement.GetProperty("response");

        var (status, fetched) = await SendAsync(HttpMethod.Get, $"/v1/responses/{streamed.GetProperty("id").GetString()}");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(("completed", true), (fetched.GetProperty("status").GetString(), fetched.GetProperty("store").GetBoolean()));
        Assert.Equal(Text(streamed), Text(fetched));
        Assert.False(string.IsNullOrEmpty(Text(fetched)));
        Assert.Equal(streamed.GetProperty("usage").GetRawText(), fetched.GetProperty("usage").GetRawText());
    }

    [Fact]
    public async Task Store_false_keeps_nothing()
    {
        var (created, answered) = await PostAsync(new { model = "auto", input = "Where is my order? Tracking please.", store = false });

        var (status, _) = await SendAsync(HttpMethod.Get, $"/v1/responses/{answered.GetProperty("id").GetString()}");

        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        Assert.False(answered.GetProperty("store").GetBoolean());
        Assert.Equal(HttpStatusCode.NotFound, status);
        created.Dispose();
    }

    [Fact]
    public async Task A_key_whose_own_policy_is_redacted_cannot_store_or_continue_and_is_told_why()
    {
        var redacted = await CreateKeyAsync("redacted-app", "redacted");

        var (unasked, plain) = await PostAsync(new { model = "auto", input = "Where is my order? Tracking please." }, redacted);
        var (asked, refusal) = await PostAsync(new { model = "auto", input = "Where is my order? Tracking please.", store = true }, redacted);
        var (continued, continuation) = await PostAsync(new { model = "auto", input = "hi", previous_response_id = "resp_0123" }, redacted);

        Assert.Equal(HttpStatusCode.OK, unasked.StatusCode);
        Assert.False(plain.GetProperty("store").GetBoolean());
        Assert.Equal(HttpStatusCode.BadRequest, asked.StatusCode);
        Assert.Equal("store_not_allowed", refusal.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("prompt storage is 'redacted'", refusal.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, continued.StatusCode);
        Assert.Equal(("previous_response_not_supported", "previous_response_id"), (continuation.GetProperty("error").GetProperty("code").GetString(), continuation.GetProperty("error").GetProperty("param").GetString()));
        unasked.Dispose();
        asked.Dispose();
        continued.Dispose();
    }

    [Fact]
    public async Task Stored_responses_older_than_the_retention_period_are_deleted_with_the_stored_prompts()
    {
        var now = DateTimeOffset.UtcNow;
        await using (var db = await factory.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>().CreateDbContextAsync(Cancel))
        {
            db.StoredResponses.Add(new StoredResponseEntity { Id = "resp_retention_old", ApiKeyId = null, CreatedAt = now.AddDays(-31), Conversation = "[]", Response = "{}" });
            db.StoredResponses.Add(new StoredResponseEntity { Id = "resp_retention_new", ApiKeyId = null, CreatedAt = now.AddDays(-29), Conversation = "[]", Response = "{}" });
            await db.SaveChangesAsync(Cancel);
        }

        await factory.Services.GetRequiredService<PromptRetention>().PurgeAsync(Cancel);

        await using var check = await factory.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>().CreateDbContextAsync(Cancel);
        var left = await check.StoredResponses.Where(r => r.Id.StartsWith("resp_retention_")).Select(r => r.Id).ToListAsync(Cancel);
        Assert.Equal(["resp_retention_new"], left);
    }

    [Fact]
    public async Task Erasing_a_key_deletes_its_stored_responses()
    {
        var key = await CreatedKeyAsync("erased-app");
        var (created, stored) = await PostAsync(new { model = "auto", input = "My card 4111 1111 1111 1111 was charged twice" }, key.Secret);
        var id = stored.GetProperty("id").GetString();
        var (before, _) = await SendAsync(HttpMethod.Get, $"/v1/responses/{id}", key.Secret);

        await factory.Services.GetRequiredService<Erasure>().EraseAsync(ErasureSubject.Key, key.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "test", Cancel);
        var (after, _) = await SendAsync(HttpMethod.Get, $"/v1/responses/{id}", key.Secret);

        Assert.Equal(HttpStatusCode.OK, before);
        Assert.Equal(HttpStatusCode.NotFound, after);
        created.Dispose();
    }
}
