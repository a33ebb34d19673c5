using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Web.Budgets;
using CostConsole.Web.Keys;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Budgets;

public class BudgetEnforcementTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    private const int MaxTokens = 100;
    private const string Prompt = "Summarise the customer's last three orders and their delivery status.";

    private static object Body(string model = "gpt-4.1") => new { model, max_tokens = MaxTokens, messages = new[] { new { role = "user", content = Prompt } } };

    private async Task<CreatedKey> CreateKeyAsync(string name, KeyForm? form = null)
    {
        form ??= new KeyForm();
        form.Name = name;
        form.Team ??= "team-" + name;
        var (result, key) = await factory.Services.GetRequiredService<KeyService>().CreateAsync(form, "test");
        Assert.True(result.Saved, result.Summary);
        return key!;
    }

    private async Task<long> LedgerSpendAsync(long keyId)
    {
        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>().CreateDbContextAsync();
        return await db.RequestLog.Where(r => r.ApiKeyId == keyId).SumAsync(r => r.CostNanoUsd);
    }

    [Fact]
    public async Task A_request_that_may_escalate_reserves_every_attempt_it_may_make()
    {
        var ct = TestContext.Current.CancellationToken;
        var guard = factory.Services.GetRequiredService<BudgetGuard>();
        var snapshot = factory.Services.GetRequiredService<CostConsole.Routing.Decisions.RoutingState>().Current;

        async Task<long> WorstAsync(string model)
        {
            var body = System.Text.Encoding.UTF8.GetBytes(JsonSerializer.Serialize(Body(model)));
            using var request = CostConsole.Routing.Requests.ChatRequestParser.Parse(body, null, CostConsole.Routing.Tokens.O200kTokenCounter.Instance);
            return guard.WorstCaseNanoUsd(await snapshot.DecideAsync(request, ct), request, DateTimeOffset.UtcNow);
        }

        // Pinned to the priciest model there is nowhere to escalate; on the small tier the bound (2) allows two more attempts,
        // each reserved at the priciest model the request may reach.
        var pinned = await WorstAsync("gpt-4.1");
        Assert.Equal(2, snapshot.Escalation.MaxEscalations);
        Assert.Equal(3 * pinned, await WorstAsync("small"));
        Assert.Equal(2 * pinned, await WorstAsync("medium"));
    }

    [Fact]
    public async Task Editing_a_budget_while_a_request_is_in_flight_keeps_its_spend_and_settles_the_request_into_it()
    {
        var ct = TestContext.Current.CancellationToken;
        var key = await CreateKeyAsync("in-flight");
        var service = factory.Services.GetRequiredService<BudgetService>();
        var form = new BudgetForm
        {
            Name = "Edited while busy",
            Scope = BudgetScope.Key,
            ScopeValue = key.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Period = BudgetPeriod.Daily,
            LimitUsd = 1m,
        };
        var created = await service.SaveAsync(form, "test", ct);
        Assert.True(created.Saved, created.Summary);

        // A request that takes a moment: the budget is raised while it is under way.
        var scale = factory.Simulator.LatencyScale;
        factory.Simulator.LatencyScale = 1;
        try
        {
            using var client = factory.CreateApiClient(key.Secret);
            var request = client.PostAsJsonAsync("/v1/chat/completions", Body(), ct);
            var guard = factory.Services.GetRequiredService<BudgetGuard>();
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (guard.States().Single(s => s.Budget.Name == "Edited while busy").InFlight == 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10, ct);
            }

            form.Id = created.Id;
            form.LimitUsd = 2m;
            var edited = await service.SaveAsync(form, "test", ct);
            Assert.True(edited.Saved, edited.Summary);
            using var response = await request;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        finally
        {
            factory.Simulator.LatencyScale = scale;
        }

        var state = factory.Services.GetRequiredService<BudgetGuard>().States().Single(s => s.Budget.Name == "Edited while busy");
        Assert.Equal(BudgetGuard.ToNano(2m), state.Budget.LimitNanoUsd);
        Assert.Equal(0, state.ReservedNanoUsd);
        Assert.Equal(await LedgerSpendAsync(key.Id), state.SpentNanoUsd);
        Assert.True(state.SpentNanoUsd > 0);
    }

    [Fact]
    public async Task Two_hundred_concurrent_requests_never_overrun_a_budget_that_allows_about_fifty()
    {
        var ct = TestContext.Current.CancellationToken;

        // One request outside the budget shows what such a request costs and reserves.
        using (var probe = await factory.CreateApiClient().PostAsJsonAsync("/v1/chat/completions", Body(), ct))
        {
            Assert.Equal(HttpStatusCode.OK, probe.StatusCode);
        }

        var probeRow = (await factory.LedgerAsync()).Last();
        var worst = BudgetGuard.ToNano((probeRow.PromptTokens * 2.00m + MaxTokens * 8.00m) / 1_000_000m);
        var limit = 50 * worst;

        var key = await CreateKeyAsync("burst");
        var saved = await factory.Services.GetRequiredService<BudgetService>().SaveAsync(new BudgetForm
        {
            Name = "Burst test",
            Scope = BudgetScope.Key,
            ScopeValue = key.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Period = BudgetPeriod.Daily,
            LimitUsd = limit / 1_000_000_000m,
            Thresholds = "50,80,100",
        }, "test", ct);
        Assert.True(saved.Saved, saved.Summary);

        using var client = factory.CreateApiClient(key.Secret);
        using var start = new SemaphoreSlim(0);
        var requests = Enumerable.Range(0, 200).Select(async _ =>
        {
            await start.WaitAsync(ct);
            using var response = await client.PostAsJsonAsync("/v1/chat/completions", Body(), ct);
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync(ct));
        }).ToList();
        start.Release(200);
        var results = await Task.WhenAll(requests);

        var answered = results.Count(r => r.StatusCode == HttpStatusCode.OK);
        var refused = results.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.Equal(200, answered + refused.Count);
        Assert.InRange(answered, 40, 80);
        Assert.All(refused, r =>
        {
            var error = JsonDocument.Parse(r.Body).RootElement.GetProperty("error");
            Assert.Equal("budget_exceeded", error.GetProperty("code").GetString());
            Assert.Contains("'Burst test'", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        });

        var spent = await LedgerSpendAsync(key.Id);
        Assert.True(spent <= limit + worst, $"spent {spent} nano-USD against a limit of {limit} (+ one worst case {worst})");

        var state = factory.Services.GetRequiredService<BudgetGuard>().States().Single(s => s.Budget.Name == "Burst test");
        Assert.Equal(spent, state.SpentNanoUsd);
        Assert.Equal(0, state.ReservedNanoUsd);

        var rows = (await factory.LedgerAsync()).Where(r => r.ApiKeyId == key.Id).ToList();
        Assert.Equal(answered, rows.Count(r => r.HttpStatus == 200));
        Assert.Equal(refused.Count, rows.Count(r => r.HttpStatus == 429 && r.ErrorCode == "budget_exceeded"));

        // A restart rebuilds the period's spend from the ledger alone.
        await factory.Services.GetRequiredService<BudgetGuard>().ReloadAsync(ct);
        Assert.Equal(spent, factory.Services.GetRequiredService<BudgetGuard>().States().Single(s => s.Budget.Name == "Burst test").SpentNanoUsd);

        var summary =
            $"limit {limit / 1e9m:0.000000} USD, worst case {worst / 1e9m:0.000000} USD; answered {answered}, refused {refused.Count}; spent {spent / 1e9m:0.000000} USD ({(spent - limit) / 1e9m:+0.000000;-0.000000} against the limit)";
        TestContext.Current.TestOutputHelper?.WriteLine(summary);
        await File.WriteAllTextAsync(Path.Combine(ArtifactFolder(), "budget-burst.txt"), summary + Environment.NewLine, ct);
    }

    private static string ArtifactFolder()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "CostConsole.sln")))
        {
            directory = directory.Parent;
        }

        var folder = Path.Combine(directory?.FullName ?? Path.GetTempPath(), "tests", "artifacts");
        Directory.CreateDirectory(folder);
        return folder;
    }

    [Fact]
    public async Task A_revoked_key_is_refused_from_the_next_request()
    {
        var ct = TestContext.Current.CancellationToken;
        var key = await CreateKeyAsync("short-lived");
        using var client = factory.CreateApiClient(key.Secret);

        using (var before = await client.PostAsJsonAsync("/v1/chat/completions", Body("gpt-4.1-nano"), ct))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        Assert.True(await factory.Services.GetRequiredService<KeyService>().RevokeAsync(key.Id, "test", ct));

        using var after = await client.PostAsJsonAsync("/v1/chat/completions", Body("gpt-4.1-nano"), ct);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Contains("invalid_api_key", await after.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_over_its_request_rate_gets_429_with_retry_after()
    {
        var ct = TestContext.Current.CancellationToken;
        var key = await CreateKeyAsync("slow-app", new KeyForm { RequestsPerMinute = 2 });
        using var client = factory.CreateApiClient(key.Secret);

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? last = null;
        for (var i = 0; i < 3; i++)
        {
            last?.Dispose();
            last = await client.PostAsJsonAsync("/v1/chat/completions", Body("gpt-4.1-nano"), ct);
            statuses.Add(last.StatusCode);
        }

        // Two fit in the minute; the third is refused until the minute ends. (A minute boundary in between would let it through.)
        if (statuses[2] == HttpStatusCode.OK)
        {
            return;
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        Assert.InRange(int.Parse(last!.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        var error = JsonDocument.Parse(await last.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("error");
        Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());
        Assert.Contains("2 requests per minute", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        last.Dispose();
    }

    [Fact]
    public async Task A_key_over_its_token_rate_gets_429_with_retry_after()
    {
        var ct = TestContext.Current.CancellationToken;
        var key = await CreateKeyAsync("token-hungry", new KeyForm { TokensPerMinute = 10 });
        using var client = factory.CreateApiClient(key.Secret);

        using var first = await client.PostAsJsonAsync("/v1/chat/completions", Body("gpt-4.1-nano"), ct);
        using var second = await client.PostAsJsonAsync("/v1/chat/completions", Body("gpt-4.1-nano"), ct);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        if (second.StatusCode == HttpStatusCode.OK)
        {
            return; // A minute boundary fell between the two.
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.True(second.Headers.Contains("Retry-After"));
    }

    [Fact]
    public async Task A_key_limited_to_the_small_tier_is_refused_a_large_model_with_403()
    {
        var ct = TestContext.Current.CancellationToken;
        var key = await CreateKeyAsync("small-only", new KeyForm { AllowedTiers = ["small"] });
        using var client = factory.CreateApiClient(key.Secret);

        using var small = await client.PostAsJsonAsync("/v1/chat/completions", Body("gpt-4.1-nano"), ct);
        using var large = await client.PostAsJsonAsync("/v1/chat/completions", Body("gpt-4.1"), ct);

        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, large.StatusCode);
        var error = JsonDocument.Parse(await large.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("error");
        Assert.Equal("tier_not_allowed", error.GetProperty("code").GetString());
        var row = (await factory.LedgerAsync()).Last(r => r.ApiKeyId == key.Id);
        Assert.Equal(403, row.HttpStatus);
        Assert.Equal(0, row.CostNanoUsd);
    }

    [Fact]
    public async Task Every_ledger_row_carries_its_key_and_the_key_shows_when_it_was_last_used()
    {
        var ct = TestContext.Current.CancellationToken;
        var key = await CreateKeyAsync("attributed");
        using var client = factory.CreateApiClient(key.Secret);
        using var response = await client.PostAsJsonAsync("/v1/chat/completions", Body("gpt-4.1-nano"), ct);

        Assert.Equal(key.Id, (await factory.LedgerAsync()).Last(r => r.RequestId == response.Headers.GetValues("x-costconsole-request-id").Single()).ApiKeyId);
        var listed = (await factory.Services.GetRequiredService<KeyService>().ListAsync(false, ct)).Single(k => k.Id == key.Id);
        Assert.NotNull(listed.LastUsedAt);
    }
}
