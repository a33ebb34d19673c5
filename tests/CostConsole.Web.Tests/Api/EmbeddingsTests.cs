using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Data.Metrics;
using CostConsole.Routing.Providers;
using CostConsole.Web.Budgets;
using CostConsole.Web.Keys;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Api;

/// <summary><c>POST /v1/embeddings</c> over real HTTP against the fresh install's simulated embeddings model.</summary>
public sealed class EmbeddingsTests : IClassFixture<CostConsoleFactory>
{
    private const string EmbeddingsModel = "simulator/text-embedding-3-small";

    /// <summary>The seeded price, $0.02 per million input tokens, in nano-USD per token.</summary>
    private const long NanoUsdPerToken = 20;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private readonly CostConsoleFactory _factory;

    public EmbeddingsTests(CostConsoleFactory factory)
    {
        _factory = factory;
        factory.Services.GetRequiredService<DeploymentResilience>().Reset();
    }

    private async Task<HttpResponseMessage> PostAsync(object body, string? key = CostConsoleFactory.ApiKey, string path = "/v1/embeddings")
    {
        using var client = _factory.CreateApiClient(key);
        return await client.PostAsJsonAsync(path, body, Cancel);
    }

    private async Task<RequestLogRow> RowAsync(HttpResponseMessage response) =>
        (await _factory.LedgerAsync()).Single(r => r.RequestId == response.Headers.GetValues("x-costconsole-request-id").Single());

    private async Task<CreatedKey> CreateKeyAsync(string name, KeyForm form)
    {
        form.Name = name;
        form.Team ??= "team-" + name;
        var (result, key) = await _factory.Services.GetRequiredService<KeyService>().CreateAsync(form, "test");
        Assert.True(result.Saved, result.Summary);
        return key!;
    }

    [Fact]
    public async Task Auto_embeds_every_input_with_the_cheapest_embeddings_model_and_records_one_row_priced_per_input_token()
    {
        using var response = await PostAsync(new { model = "auto", input = new[] { "Where is my parcel?", "Refund my order, please." } });
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));
        var root = json.RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("list", "text-embedding-3-small"), (root.GetProperty("object").GetString(), root.GetProperty("model").GetString()));
        Assert.Equal("text-embedding-3-small", response.Headers.GetValues("x-costconsole-model").Single());
        var data = root.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal([0, 1], data.Select(d => d.GetProperty("index").GetInt32()));
        Assert.All(data, d => Assert.Equal(256, d.GetProperty("embedding").GetArrayLength()));
        var tokens = root.GetProperty("usage").GetProperty("prompt_tokens").GetInt64();
        Assert.Equal(tokens, root.GetProperty("usage").GetProperty("total_tokens").GetInt64());

        var row = await RowAsync(response);
        Assert.Equal(("embeddings", 0, 200, "auto", EmbeddingsModel), (row.Protocol, row.Status, row.HttpStatus, row.RequestedModel, row.Model));
        Assert.Equal((tokens, 0L), (row.PromptTokens, row.CompletionTokens));
        Assert.True(tokens > 0);
        Assert.Equal(tokens * NanoUsdPerToken, row.CostNanoUsd);
        Assert.Equal(row.CostNanoUsd, row.BaselineCostNanoUsd);
        Assert.True(row.Priced);
        Assert.Equal(row.CostNanoUsd.ToString(CultureInfo.InvariantCulture), (decimal.Parse(response.Headers.GetValues("x-costconsole-cost-usd").Single(), CultureInfo.InvariantCulture) * 1_000_000_000m).ToString("0", CultureInfo.InvariantCulture));

        // The dashboard's rollups count it like any request.
        var store = _factory.Services.GetRequiredService<RollupStore>();
        await store.FlushAsync();
        await using var db = await _factory.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>().CreateDbContextAsync(Cancel);
        var rolled = await db.MinuteRollups.Where(r => r.Model == EmbeddingsModel).ToListAsync(Cancel);
        var ledger = (await _factory.LedgerAsync()).Where(r => r.Model == EmbeddingsModel).ToList();
        Assert.Equal(ledger.Count, rolled.Sum(r => r.Requests));
        Assert.Equal(ledger.Sum(r => r.CostNanoUsd), rolled.Sum(r => r.CostNanoUsd));
        Assert.Equal(ledger.Sum(r => r.PromptTokens), rolled.Sum(r => r.PromptTokens));
    }

    [Fact]
    public async Task Base64_and_dimensions_reach_the_model_and_come_back_as_the_sdks_decode_them()
    {
        using var response = await PostAsync(new { model = "text-embedding-3-small", input = "Where is my parcel?", encoding_format = "base64", dimensions = 64 });
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var vector = MemoryMarshal.Cast<byte, float>(Convert.FromBase64String(json.RootElement.GetProperty("data")[0].GetProperty("embedding").GetString()!)).ToArray();
        Assert.Equal(64, vector.Length);
        Assert.Equal(1.0, Math.Sqrt(vector.Sum(v => (double)v * v)), 3);
    }

    [Fact]
    public async Task A_tier_name_routes_to_that_tiers_embeddings_model()
    {
        using var response = await PostAsync(new { model = "small", input = "hello" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = await RowAsync(response);
        Assert.Equal(("small", EmbeddingsModel), (row.Tier, row.Model));
    }

    public static TheoryData<string, int, string, string?> Refusals() => new()
    {
        { """{"model":"text-embedding-9","input":"hi"}""", 404, "model_not_found", "model" },
        { """{"model":"gpt-4.1-mini","input":"hi"}""", 400, "model_not_embeddings", "model" },
        { """{"model":"auto","input":""}""", 400, "empty_input", "input" },
        { """{"model":"auto","input":[]}""", 400, "empty_input", "input" },
        { """{"model":"auto","input":[1212, 318]}""", 400, "unsupported_input", "input" },
        { """{"model":"auto","input":"hi","encoding_format":"int8"}""", 400, "invalid_encoding_format", "encoding_format" },
        { """{"model":"auto","input":"hi""", 400, "invalid_json", null },
        { """{"model":"auto","input":[""" + string.Join(",", Enumerable.Repeat("\"a\"", 2049)) + "]}", 400, "too_many_inputs", "input" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_request_that_cannot_be_embedded_gets_an_openai_error_and_one_rejected_row_costing_nothing(string body, int status, string code, string? param)
    {
        using var client = _factory.CreateApiClient();
        using var response = await client.PostAsync("/v1/embeddings", new StringContent(body, Encoding.UTF8, "application/json"), Cancel);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));
        var error = json.RootElement.GetProperty("error");

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(("invalid_request_error", code, param), (error.GetProperty("type").GetString(), error.GetProperty("code").GetString(), error.GetProperty("param").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        var row = await RowAsync(response);
        Assert.Equal(("embeddings", 2, status, code), (row.Protocol, row.Status, row.HttpStatus, row.ErrorCode));
        Assert.Equal((0L, 0L, null), (row.CostNanoUsd, row.PromptTokens, row.Model));
    }

    [Fact]
    public async Task An_embeddings_model_sent_to_chat_completions_is_refused_and_points_to_embeddings()
    {
        using var response = await PostAsync(new { model = "text-embedding-3-small", messages = new[] { new { role = "user", content = "hi" } } }, path: "/v1/chat/completions");
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));
        var error = json.RootElement.GetProperty("error");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(("model_not_chat", "model"), (error.GetProperty("code").GetString(), error.GetProperty("param").GetString()));
        Assert.Contains("POST /v1/embeddings", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        var row = await RowAsync(response);
        Assert.Equal(("chat.completions", 2, 0L), (row.Protocol, row.Status, row.CostNanoUsd));
    }

    [Fact]
    public async Task What_the_model_refuses_comes_back_as_its_error_and_is_recorded_as_failed()
    {
        using var response = await PostAsync(new { model = "auto", input = "hi", dimensions = 4096 });
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));
        var error = json.RootElement.GetProperty("error");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("upstream_rejected", error.GetProperty("code").GetString());
        Assert.Contains("dimensions", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        var row = await RowAsync(response);
        Assert.Equal(("embeddings", 1, 400, EmbeddingsModel, 0L), (row.Protocol, row.Status, row.HttpStatus, row.Model, row.CostNanoUsd));
    }

    [Fact]
    public async Task The_spend_counts_against_the_keys_budget_and_the_keys_rate_limit_refuses_the_next_request()
    {
        var key = await CreateKeyAsync("embedder", new KeyForm { MonthlyBudgetUsd = 1m, RequestsPerMinute = 1 });

        using var first = await PostAsync(new { model = "auto", input = "Where is my parcel?" }, key.Secret);
        using var second = await PostAsync(new { model = "auto", input = "Where is my parcel?" }, key.Secret);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var row = await RowAsync(first);
        var budget = _factory.Services.GetRequiredService<BudgetGuard>().States()
            .Single(s => s.Budget.Scope == BudgetScope.Key && s.Budget.ScopeValue == key.Id.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(row.CostNanoUsd, budget.SpentNanoUsd);
        Assert.Equal(0, budget.ReservedNanoUsd);
        Assert.True(row.CostNanoUsd > 0);

        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        using var json = JsonDocument.Parse(await second.Content.ReadAsStringAsync(Cancel));
        Assert.Equal("rate_limit_exceeded", json.RootElement.GetProperty("error").GetProperty("code").GetString());
        var refused = await RowAsync(second);
        Assert.Equal(("embeddings", 2, 429, 0L), (refused.Protocol, refused.Status, refused.HttpStatus, refused.CostNanoUsd));
    }

    [Fact]
    public async Task Personal_data_in_the_input_is_stored_redacted_like_any_prompt()
    {
        using var response = await PostAsync(new { model = "auto", input = new[] { "Contact jane.doe@example.com about the refund" } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = await RowAsync(response);
        Assert.True(row.PromptRedacted);
        Assert.NotNull(row.PersonalData);
        Assert.DoesNotContain("jane.doe@example.com", row.Prompt, StringComparison.Ordinal);
        Assert.Contains("[EMAIL]", row.Prompt, StringComparison.Ordinal);
    }
}
