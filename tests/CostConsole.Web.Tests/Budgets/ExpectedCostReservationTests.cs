using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Providers;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;
using CostConsole.Web.Budgets;
using CostConsole.Web.Keys;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CostConsole.Web.Tests.Budgets;

/// <summary>
/// Budgets reserve what a request is expected to cost, not its worst case: the scenario users reported (a daily $1
/// budget with $0.63 left, 30 requests a second) is served until the money is really gone.
/// </summary>
public sealed class ExpectedCostReservationTests(PatientBudgetFactory factory) : IClassFixture<PatientBudgetFactory>
{
    private const int RequestsPerSecond = 30;

    /// <summary>A support ticket long enough that its prompt, not the answer, makes most of a request's cost.</summary>
    private static readonly string Ticket = string.Concat(Enumerable.Repeat("The customer wrote again about order 4411, delivered late, and the refund for order 4412 that never arrived. ", 260))
        + "Summarise the ticket for the next agent.";

    private static object Body(string model = "medium") => new { model, messages = new[] { new { role = "user", content = Ticket } } };

    private async Task<CreatedKey> CreateKeyAsync(string name)
    {
        var (result, key) = await factory.Services.GetRequiredService<KeyService>().CreateAsync(new KeyForm { Name = name, Team = "team-" + name }, "test");
        Assert.True(result.Saved, result.Summary);
        return key!;
    }

    /// <summary>A daily $1 budget on a fresh key, of which $0.37 was already spent today.</summary>
    private async Task<(CreatedKey Key, BudgetForm Budget)> BudgetWithSixtyThreeCentsLeftAsync(string name, bool strict)
    {
        var ct = TestContext.Current.CancellationToken;
        var key = await CreateKeyAsync(name);
        await using (var db = await factory.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>().CreateDbContextAsync(ct))
        {
            db.RequestLog.Add(new RequestLogRow { RequestId = "earlier-" + name, Timestamp = DateTimeOffset.UtcNow, ApiKeyId = key.Id, CostNanoUsd = BudgetGuard.ToNano(0.37m), HttpStatus = 200 });
            await db.SaveChangesAsync(ct);
        }

        var form = new BudgetForm
        {
            Name = name,
            Scope = BudgetScope.Key,
            ScopeValue = key.Id.ToString(CultureInfo.InvariantCulture),
            Period = BudgetPeriod.Daily,
            LimitUsd = 1m,
            Strict = strict,
        };
        var saved = await factory.Services.GetRequiredService<BudgetService>().SaveAsync(form, "test", ct);
        Assert.True(saved.Saved, saved.Summary);
        Assert.Equal(BudgetGuard.ToNano(0.63m), State(name).RemainingNanoUsd);
        return (key, form);
    }

    private BudgetState State(string name) => factory.Services.GetRequiredService<BudgetGuard>().States().Single(s => s.Budget.Name == name);

    /// <summary>Sends <paramref name="count"/> requests, one second's worth (30) at a time, each second's concurrently.</summary>
    private async Task<List<(HttpStatusCode Status, string Body)>> SendAtThirtyPerSecondAsync(HttpClient client, int count)
    {
        var ct = TestContext.Current.CancellationToken;
        var results = new List<(HttpStatusCode, string)>(count);
        for (var sent = 0; sent < count; sent += RequestsPerSecond)
        {
            var second = Enumerable.Range(0, Math.Min(RequestsPerSecond, count - sent)).Select(async _ =>
            {
                using var response = await client.PostAsJsonAsync("/v1/chat/completions", Body(), ct);
                return (response.StatusCode, await response.Content.ReadAsStringAsync(ct));
            });
            results.AddRange(await Task.WhenAll(second));
        }

        return results;
    }

    private static void AssertRefusedByBudget(IEnumerable<(HttpStatusCode Status, string Body)> results, string budget) =>
        Assert.All(results.Where(r => r.Status != HttpStatusCode.OK), r =>
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, r.Status);
            var error = JsonDocument.Parse(r.Body).RootElement.GetProperty("error");
            Assert.Equal("budget_exceeded", error.GetProperty("code").GetString());
            Assert.Contains($"'{budget}'", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        });

    /// <summary>What the guard now expects one more such request to cost: its prompt plus its tier's recent p95 answer length.</summary>
    private async Task<long> ExpectedCostAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        using var request = ChatRequestParser.Parse(JsonSerializer.SerializeToUtf8Bytes(Body()), null, O200kTokenCounter.Instance);
        request.CountPromptTokens(ct);
        var decision = await factory.Services.GetRequiredService<RoutingState>().Current.DecideAsync(request, ct);
        return factory.Services.GetRequiredService<BudgetGuard>().StepCost(decision, decision.Model.TierIndex, request, DateTimeOffset.UtcNow).Expected;
    }

    /// <summary>
    /// Used up: the budget refused for lack of money with less left than the request needed, and what it needed was a
    /// typical request's cost (within a factor of two of the median), not a worst case.
    /// </summary>
    /// <remarks>
    /// A refusal is judged by the expectation the guard held when it refused: the expectation follows the tier's recent
    /// answer lengths, so it may have moved by the time the test looks.
    /// </remarks>
    private async Task AssertUsedUpAsync(long left, List<long> costs, IReadOnlyList<BudgetRefusal> refusals)
    {
        var typical = costs.Order().ElementAt(costs.Count / 2);
        var expected = await ExpectedCostAsync();
        TestContext.Current.TestOutputHelper?.WriteLine($"typical request {BudgetGuard.Usd(typical)}, expected now {BudgetGuard.Usd(expected)}, left {BudgetGuard.Usd(left)}");
        Assert.True(expected <= 2 * typical, $"expected {BudgetGuard.Usd(expected)} per request, typical {BudgetGuard.Usd(typical)}");
        // Admissions refused for money; a refused step up a tier needs the pricier tier's cost and is not a typical request.
        var forMoney = refusals.Where(r => r.NeededNanoUsd > 0 && r.Reason.StartsWith("Request to tier ", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(forMoney);
        Assert.All(forMoney, r => Assert.True(r.NeededNanoUsd <= 2 * typical, $"refused needing {BudgetGuard.Usd(r.NeededNanoUsd)}, typical {BudgetGuard.Usd(typical)}: {r.Reason}"));
        Assert.True(forMoney.Any(r => left < r.NeededNanoUsd), $"{BudgetGuard.Usd(left)} left, more than any refused request needed; refusals: {string.Join(" | ", forMoney.Select(r => r.Reason))}");
    }

    private async Task<List<long>> AnsweredCostsAsync(long keyId) =>
        [.. (await factory.LedgerAsync()).Where(r => r.ApiKeyId == keyId && r.HttpStatus == 200 && !r.RequestId.StartsWith("earlier-", StringComparison.Ordinal)).Select(r => r.CostNanoUsd)];

    [Fact]
    public async Task A_daily_dollar_with_63_cents_left_at_30_requests_a_second_is_served_until_less_than_one_typical_request_remains()
    {
        var (key, _) = await BudgetWithSixtyThreeCentsLeftAsync("Sixty-three cents left", strict: false);
        using var client = factory.CreateApiClient(key.Secret);

        var results = await SendAtThirtyPerSecondAsync(client, 301);

        AssertRefusedByBudget(results, "Sixty-three cents left");
        var costs = await AnsweredCostsAsync(key.Id);
        var state = State("Sixty-three cents left");
        var limit = BudgetGuard.ToNano(1m);
        var left = limit - state.SpentNanoUsd;
        var answered = results.Count(r => r.Status == HttpStatusCode.OK);
        var refused = results.Count - answered;
        TestContext.Current.TestOutputHelper?.WriteLine($"answered {answered}, refused {refused}; spent {BudgetGuard.Usd(state.SpentNanoUsd)}");

        // 301 requests want more than $0.63: the budget is used up, not refused with most of it left.
        Assert.True(refused > 0, "the traffic should exceed the budget");
        await AssertUsedUpAsync(left, costs, state.Refusals);
        var bound = BudgetGuard.ToNano(factory.Services.GetRequiredService<IOptions<BudgetOptions>>().Value.MaxOverrunUsd);
        Assert.True(state.SpentNanoUsd <= limit + bound, $"spent {BudgetGuard.Usd(state.SpentNanoUsd)}, past the limit by more than {BudgetGuard.Usd(bound)}");
        Assert.Equal(0, state.ReservedNanoUsd);
        Assert.Equal(costs.Sum() + BudgetGuard.ToNano(0.37m), state.SpentNanoUsd);
        Assert.True(state.IsExhausted);
        Assert.Contains(state.Refusals, r => r.Reason.Contains(" left after ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_strict_budget_keeps_the_worst_case_reservation_and_refuses_early_without_ever_passing_its_limit()
    {
        var (key, _) = await BudgetWithSixtyThreeCentsLeftAsync("Strict sixty-three cents", strict: true);
        using var client = factory.CreateApiClient(key.Secret);

        var results = await SendAtThirtyPerSecondAsync(client, 301);

        AssertRefusedByBudget(results, "Strict sixty-three cents");
        var costs = await AnsweredCostsAsync(key.Id);
        var typical = costs.Order().ElementAt(costs.Count / 2);
        var state = State("Strict sixty-three cents");
        var limit = BudgetGuard.ToNano(1m);

        // Each request reserved its worst case: max_tokens unset, so 4,096 tokens at the priciest tier it may reach, once more for the escalation.
        var guard = factory.Services.GetRequiredService<BudgetGuard>();
        var snapshot = factory.Services.GetRequiredService<RoutingState>().Current;
        using var request = ChatRequestParser.Parse(JsonSerializer.SerializeToUtf8Bytes(Body()), null, O200kTokenCounter.Instance);
        request.CountPromptTokens(TestContext.Current.CancellationToken);
        var worst = guard.WorstCaseNanoUsd(await snapshot.DecideAsync(request, TestContext.Current.CancellationToken), request, DateTimeOffset.UtcNow);
        Assert.True(worst > 10 * typical, $"worst case {BudgetGuard.Usd(worst)}, typical {BudgetGuard.Usd(typical)}");
        Assert.All(state.Refusals, r => Assert.Equal(worst, r.NeededNanoUsd));
        Assert.True(state.SpentNanoUsd <= limit);
        Assert.True(results.Count(r => r.Status != HttpStatusCode.OK) > 0);
    }

    [Fact]
    public async Task Two_hundred_concurrent_requests_without_max_tokens_pass_the_limit_by_no_more_than_the_overrun_bound()
    {
        var ct = TestContext.Current.CancellationToken;
        var key = await CreateKeyAsync("burst-expected");
        var saved = await factory.Services.GetRequiredService<BudgetService>().SaveAsync(new BudgetForm
        {
            Name = "Burst at expected cost",
            Scope = BudgetScope.Key,
            ScopeValue = key.Id.ToString(CultureInfo.InvariantCulture),
            Period = BudgetPeriod.Daily,
            LimitUsd = 0.25m,
        }, "test", ct);
        Assert.True(saved.Saved, saved.Summary);

        using var client = factory.CreateApiClient(key.Secret);
        using var start = new SemaphoreSlim(0);
        var requests = Enumerable.Range(0, 200).Select(async _ =>
        {
            await start.WaitAsync(ct);
            using var response = await client.PostAsJsonAsync("/v1/chat/completions", Body(), ct);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(ct));
        }).ToList();
        start.Release(200);
        var results = await Task.WhenAll(requests);

        AssertRefusedByBudget(results, "Burst at expected cost");
        var state = State("Burst at expected cost");
        var limit = BudgetGuard.ToNano(0.25m);
        var bound = BudgetGuard.ToNano(factory.Services.GetRequiredService<IOptions<BudgetOptions>>().Value.MaxOverrunUsd);
        var spent = (await AnsweredCostsAsync(key.Id)).Sum() + (await factory.LedgerAsync()).Where(r => r.ApiKeyId == key.Id && r.HttpStatus != 200).Sum(r => r.CostNanoUsd);
        TestContext.Current.TestOutputHelper?.WriteLine($"answered {results.Count(r => r.StatusCode == HttpStatusCode.OK)} of 200; spent {BudgetGuard.Usd(spent)} of {BudgetGuard.Usd(limit)}");
        Assert.True(spent <= limit + bound, $"spent {BudgetGuard.Usd(spent)}, past {BudgetGuard.Usd(limit)} by more than {BudgetGuard.Usd(bound)}");
        Assert.Equal(spent, state.SpentNanoUsd);
        Assert.Equal(0, state.ReservedNanoUsd);
        Assert.Contains(results, r => r.StatusCode == HttpStatusCode.TooManyRequests);

        // Requests that fit the money but not the bound waited for others to settle: the budget is used up, not refused half-full.
        await AssertUsedUpAsync(limit - spent, await AnsweredCostsAsync(key.Id), state.Refusals);
    }

    [Theory]
    [InlineData(1.5, false)]
    [InlineData(100, true)]
    public async Task An_escalation_the_budget_cannot_cover_is_not_taken_and_the_answer_in_hand_is_served(double limitInFirstSteps, bool covered)
    {
        var ct = TestContext.Current.CancellationToken;
        var key = await CreateKeyAsync("escalating-" + covered);
        var guard = factory.Services.GetRequiredService<BudgetGuard>();
        var routing = factory.Services.GetRequiredService<RoutingState>();
        var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { model = "small", max_tokens = 50, messages = new[] { new { role = "user", content = "Can you share the invoice of order 4411?" } } }));

        // The first step's expected cost: the prompt plus max_tokens at the small tier's price.
        using (var probe = ChatRequestParser.Parse(body, null, O200kTokenCounter.Instance))
        {
            probe.CountPromptTokens(ct);
            var decision = await routing.Current.DecideAsync(probe, ct);
            var firstStep = guard.StepCost(decision, decision.Model.TierIndex, probe, DateTimeOffset.UtcNow).Expected;
            var name = "Escalation " + (covered ? "covered" : "not covered");
            var saved = await factory.Services.GetRequiredService<BudgetService>().SaveAsync(new BudgetForm
            {
                Name = name,
                Scope = BudgetScope.Key,
                ScopeValue = key.Id.ToString(CultureInfo.InvariantCulture),
                Period = BudgetPeriod.Daily,
                LimitUsd = (decimal)limitInFirstSteps * firstStep / 1_000_000_000m,
            }, "test", ct);
            Assert.True(saved.Saved, saved.Summary);
        }

        // The small tier refuses to answer, which fails its refusal gate: the request would go one tier up.
        var invoker = new RefusingSmallTier();
        var ledger = new ListLedger();
        var pipeline = new ChatPipeline(routing, invoker, ledger, O200kTokenCounter.Instance, guard, new DeploymentResilience());
        using var request = ChatRequestParser.Parse(body, null, O200kTokenCounter.Instance);
        var outcome = await pipeline.CompleteAsync(request, new CallerContext("escalation-" + covered, key.Id, DateTimeOffset.UtcNow, System.Diagnostics.Stopwatch.GetTimestamp(), false), ct);

        Assert.Equal(200, outcome.Status);
        var state = guard.States().Single(s => s.Budget.Name == "Escalation " + (covered ? "covered" : "not covered"));
        Assert.Equal(0, state.ReservedNanoUsd);
        Assert.Equal(BudgetGuard.ToNano(outcome.Cost), state.SpentNanoUsd);
        if (covered)
        {
            Assert.Equal(1, outcome.Escalations);
            Assert.Equal("medium", outcome.Model!.Tier);
            Assert.Empty(state.Refusals);
            return;
        }

        // The answer in hand is served, flagged for a person, and the trace says why the step was not taken.
        Assert.Equal((0, "small", ReviewState.Open), (outcome.Escalations, outcome.Model!.Tier, outcome.Review));
        Assert.Contains("help with that", Encoding.UTF8.GetString(outcome.Body!.ToArray()), StringComparison.Ordinal);
        Assert.Equal(["small"], invoker.Tiers);
        var skipped = outcome.Attempts.Last();
        Assert.Equal((AttemptKind.Escalation, 429, "medium"), (skipped.Kind, skipped.Status, skipped.Tier));
        Assert.StartsWith("not attempted: budget 'Escalation not covered'", skipped.Outcome, StringComparison.Ordinal);
        var entry = ledger.Entries.Single();
        Assert.Equal((LedgerStatus.Answered, 200), (entry.Status, entry.HttpStatus));
        Assert.Contains(entry.Attempts, a => a.Outcome.StartsWith("not attempted: budget", StringComparison.Ordinal));
        Assert.StartsWith("Step up to tier 'medium'", state.Refusals.Single().Reason, StringComparison.Ordinal);
    }

    private sealed class ListLedger : ILedger
    {
        public List<LedgerEntry> Entries { get; } = [];

        public ValueTask RecordAsync(LedgerEntry entry, CancellationToken cancellationToken = default)
        {
            lock (Entries)
            {
                Entries.Add(entry);
            }

            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>A small tier that declines, and tiers above that answer.</summary>
internal sealed class RefusingSmallTier : IModelInvoker
{
    public const string Refusal = "I can't help with that.";

    public List<string> Tiers { get; } = [];

    public Task<UpstreamReply> CompleteAsync(RoutedModel target, ChatRequest request, CancellationToken cancellationToken)
    {
        lock (Tiers)
        {
            Tiers.Add(target.Tier);
        }

        var content = target.Tier == "small" ? Refusal : "Here is the invoice of order 4411.";
        var body = JsonSerializer.Serialize(new
        {
            choices = new[] { new { index = 0, message = new { role = "assistant", content }, finish_reason = "stop" } },
            usage = new { prompt_tokens = 20, completion_tokens = 10 },
        });
        return Task.FromResult(new UpstreamReply { Status = 200, Body = BinaryData.FromString(body), Usage = new(20, 0, 10), FinishReason = "stop" });
    }

    public Task<UpstreamStream> OpenStreamAsync(RoutedModel target, ChatRequest request, CancellationToken cancellationToken) =>
        throw new NotSupportedException();
}

/// <summary>
/// The app with requests waiting for requests in flight as long as a slow test machine may need: whether the budget is
/// used up must not depend on how fast the machine answers 200 requests at once.
/// </summary>
public sealed class PatientBudgetFactory() : CostConsoleFactory(new() { ["CostConsole:Budgets:OverrunWaitSeconds"] = "120" });
