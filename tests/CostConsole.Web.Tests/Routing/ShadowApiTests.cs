using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Pricing;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Routing;

public sealed class ShadowApiTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private async Task<string> TrainAndStoreAsync(string name)
    {
        using var client = factory.CreateApiClient();
        using var form = new MultipartFormDataContent
        {
            { new StringContent(TrainingExamples.Csv(), Encoding.UTF8, "text/csv"), "file", "parcels.csv" },
            { new StringContent(name), "name" },
            { new StringContent("true"), "save" },
        };
        using var response = await client.PostAsync("/api/router/train", form, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement.GetProperty("model").GetString()!;
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpMethod method, object? body = null)
    {
        using var client = factory.CreateApiClient();
        using var request = new HttpRequestMessage(method, "/api/router/shadow") { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await client.SendAsync(request, Cancel);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement.Clone());
    }

    private async Task<(string Id, string Tier)> ChatAsync(string prompt)
    {
        using var client = factory.CreateApiClient();
        using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = prompt } } }, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (response.Headers.GetValues("x-costconsole-request-id").Single(), response.Headers.GetValues("x-costconsole-tier").Single());
    }

    private async Task<int> ShadowRowsAsync()
    {
        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>().CreateDbContextAsync(Cancel);
        return await db.RouterShadows.CountAsync(Cancel);
    }

    [Fact]
    public async Task A_model_in_shadow_is_recorded_on_every_classified_request_without_changing_what_is_served_and_the_comparison_adds_up_the_ledger()
    {
        var model = await TrainAndStoreAsync("parcels");
        string[] prompts =
        [
            "Is my parcel 9001 on its way yet?",
            "Is my voucher 9002 on its way yet?",
            "Write a detailed migration plan for moving the card records of 9003 customers into the new billing system, with risks and a rollback procedure.",
            "Is my gift box 9004 on its way yet?",
            "Write a detailed migration plan for moving the account records of 9005 customers into the new billing system, with risks and a rollback procedure.",
        ];
        var before = new List<string>();
        foreach (var prompt in prompts)
        {
            before.Add((await ChatAsync(prompt + " (before)")).Tier);
        }

        var (started, shadow) = await SendAsync(HttpMethod.Post, new { model, quality_target = 0.8 });
        Assert.Equal(HttpStatusCode.OK, started);
        Assert.Equal((model, 0.8), (shadow.GetProperty("shadow").GetProperty("model").GetString(), shadow.GetProperty("shadow").GetProperty("quality_target").GetDouble()));

        var served = new List<(string Id, string Tier)>();
        foreach (var prompt in prompts)
        {
            served.Add(await ChatAsync(prompt));
        }

        // The published router still decides: the same tiers as before the shadow started.
        Assert.Equal(before, served.Select(s => s.Tier));
        var ledger = await factory.LedgerAsync();
        var rows = served.Select(s => ledger.Single(r => r.RequestId == s.Id)).ToList();
        Assert.All(rows, r => Assert.Equal((model, (string?)null), (r.ShadowModel, r.Rule)));
        Assert.All(rows, r => Assert.Contains(r.ShadowTier, new[] { "small", "medium", "large" }));
        Assert.All(rows, r => Assert.Contains($"trained {model}: P(acceptable) small ", r.ShadowDecision, StringComparison.Ordinal));
        Assert.Equal(["small", "small", "large", "small", "large"], rows.Select(r => r.ShadowTier));

        using (var client = factory.CreateApiClient())
        {
            using var explained = await client.PostAsJsonAsync("/api/route/explain", new { model = "auto", messages = new[] { new { role = "user", content = prompts[2] } } }, Cancel);
            var trace = JsonDocument.Parse(await explained.Content.ReadAsStringAsync(Cancel)).RootElement;
            Assert.Equal(before[2], trace.GetProperty("tier").GetString());
            Assert.Equal((model, "large"), (trace.GetProperty("shadow").GetProperty("model").GetString(), trace.GetProperty("shadow").GetProperty("tier").GetString()));
        }

        var (_, status) = await SendAsync(HttpMethod.Get);
        Assert.True(status.GetProperty("running").GetBoolean());
        var comparison = status.GetProperty("comparison");
        var snapshot = factory.Services.GetRequiredService<RoutingState>().Current;
        decimal Priced(RequestLogRow r, string tier) =>
            CostCalculator.Cost(snapshot.Prices, snapshot.CandidatesFor(tier)[0].Key, r.Timestamp, new TokenUsage(r.PromptTokens, r.CachedTokens, r.CompletionTokens))!.Value;
        Assert.Equal(rows.Count, comparison.GetProperty("compared").GetInt32());
        Assert.Equal(rows.Count(r => r.Tier == r.ShadowTier), comparison.GetProperty("agreed").GetInt32());
        Assert.Equal(rows.Sum(r => Priced(r, r.ShadowTier!)), comparison.GetProperty("shadow_projected_cost").GetDecimal());
        Assert.Equal(rows.Sum(r => Priced(r, r.Tier!)), comparison.GetProperty("published_projected_cost").GetDecimal());
        Assert.Equal(rows.Sum(r => Money.FromNanoUsd(r.CostNanoUsd)), comparison.GetProperty("actual_cost").GetDecimal());
        var mix = comparison.GetProperty("mix").EnumerateArray().ToDictionary(m => m.GetProperty("tier").GetString()!, m => (m.GetProperty("published").GetInt32(), m.GetProperty("shadow").GetInt32()));
        Assert.Equal((rows.Count(r => r.Tier == "large"), 2), mix["large"]);
        Assert.Equal((rows.Count(r => r.Tier == "small"), 3), mix["small"]);

        // An instance that starts (or reloads after another's change) finds the shadow in the database.
        await factory.Services.GetRequiredService<CostConsole.Web.Extensions.RoutingPublisher>().ReloadAsync(Cancel);
        Assert.Equal(model, factory.Services.GetRequiredService<RoutingState>().Current.Shadow?.Model);

        var (stopped, _) = await SendAsync(HttpMethod.Delete);
        Assert.Equal(HttpStatusCode.OK, stopped);
        Assert.Null(factory.Services.GetRequiredService<RoutingState>().Current.Shadow);
        var after = await ChatAsync("Is my parcel 9006 on its way yet?");
        Assert.Null((await factory.LedgerAsync()).Single(r => r.RequestId == after.Id).ShadowModel);
        var (_, afterStop) = await SendAsync(HttpMethod.Get);
        Assert.False(afterStop.GetProperty("running").GetBoolean());
        Assert.Equal(rows.Count, afterStop.GetProperty("comparison").GetProperty("compared").GetInt32());

        var (again, error) = await SendAsync(HttpMethod.Delete);
        Assert.Equal((HttpStatusCode.NotFound, "no_shadow"), (again, error.GetProperty("error").GetProperty("code").GetString()));
    }

    [Fact]
    public async Task Shadowing_a_model_version_that_does_not_exist_is_refused_with_the_stored_ones_named_and_changes_nothing()
    {
        var model = await TrainAndStoreAsync("refunds");
        var rowsBefore = await ShadowRowsAsync();
        var shadowBefore = factory.Services.GetRequiredService<RoutingState>().Current.Shadow;

        var (status, body) = await SendAsync(HttpMethod.Post, new { model = "refunds@99" });
        var (noVersion, noVersionBody) = await SendAsync(HttpMethod.Post, new { model = "refunds" });
        var (badTarget, badTargetBody) = await SendAsync(HttpMethod.Post, new { model, quality_target = 1.5 });

        Assert.Equal(HttpStatusCode.NotFound, status);
        var error = body.GetProperty("error");
        Assert.Equal(("model_not_found", "model"), (error.GetProperty("code").GetString(), error.GetProperty("param").GetString()));
        Assert.Contains("'refunds@99' does not exist", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains(model, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, noVersion);
        Assert.Contains("name@version", noVersionBody.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, badTarget);
        Assert.Contains("quality target 1.5", badTargetBody.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(rowsBefore, await ShadowRowsAsync());
        Assert.Equal(shadowBefore?.Model, factory.Services.GetRequiredService<RoutingState>().Current.Shadow?.Model);
    }
}
