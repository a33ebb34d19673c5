using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CostConsole.Data.Entities;
using CostConsole.Routing.Escalation;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Providers;
using CostConsole.Routing.Rules;
using CostConsole.Web.Routing;
using CostConsole.Simulator;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Api;

/// <summary>
/// The escalation cascade against the simulator over real HTTP, with the default gates (small and medium answers need a
/// 10th-percentile token probability of 0.5). The simulator's weak models grow unsure on prompts harder than they are able.
/// </summary>
public sealed class EscalationTests : IClassFixture<CostConsoleFactory>, IAsyncLifetime
{
    private const string Hard =
        "Analyze the root cause of the churn in our enterprise segment, compare the retention strategy options and their trade-offs, "
        + "forecast the revenue impact step by step and recommend an action plan.";

    private const string Easy = "Where is my order? Tracking please.";

    private readonly CostConsoleFactory _factory;
    private readonly List<SimulatedModelProfile> _original;

    public EscalationTests(CostConsoleFactory factory)
    {
        _factory = factory;
        _original = [.. factory.Simulator.Models];
        factory.Services.GetRequiredService<DeploymentResilience>().Reset();
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var profile in _original)
        {
            _factory.Simulator.Update(profile);
        }

        await PublishAsync(p => p with { Escalation = CostConsole.Data.Catalogue.DefaultRuleSet.DefaultEscalation() });
    }

    private async Task<(HttpResponseMessage Response, RequestLogRow Row)> SendAsync(object body)
    {
        using var client = _factory.CreateApiClient();
        var response = await client.PostAsJsonAsync("/v1/chat/completions", body, TestContext.Current.CancellationToken);
        await response.Content.LoadIntoBufferAsync(TestContext.Current.CancellationToken);
        var id = response.Headers.GetValues("x-costconsole-request-id").Single();
        return (response, (await _factory.LedgerAsync()).Single(r => r.RequestId == id));
    }

    private static object Ask(string model, string prompt, bool stream = false) =>
        new { model, stream, messages = new[] { new { role = "user", content = prompt } } };

    private async Task PublishAsync(Func<RuleSetDefinition, RuleSetDefinition> change)
    {
        var rules = _factory.Services.GetRequiredService<RuleSetService>();
        var draft = await rules.DraftAsync("test", TestContext.Current.CancellationToken);
        var saved = await rules.SaveDraftAsync(change(draft.Definition), draft.ConcurrencyStamp, "test", TestContext.Current.CancellationToken);
        Assert.True(saved.Done, saved.Summary);
        var published = await rules.PublishAsync(saved.Version!.ConcurrencyStamp, "escalation test", "test", TestContext.Current.CancellationToken);
        Assert.True(published.Done, published.Summary);
    }

    private static List<JsonElement> Attempts(RequestLogRow row) =>
        [.. JsonDocument.Parse(row.AttemptsJson!).RootElement.EnumerateArray()];

    [Fact]
    public async Task A_low_confidence_answer_from_the_small_tier_escalates_one_tier_up_and_the_cost_counts_both_attempts()
    {
        var (response, row) = await SendAsync(Ask("small", Hard));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("gpt-4.1-mini", response.Headers.GetValues("x-costconsole-model").Single());
        Assert.Equal("1", response.Headers.GetValues("x-costconsole-escalations").Single());
        Assert.Equal((1, 0, "small"), (row.Escalations, row.Review, row.Tier));

        var attempts = Attempts(row);
        Assert.Equal(["First", "Escalation"], attempts.Select(a => a.GetProperty("kind").GetString()));
        var confidence = attempts[0].GetProperty("gates").EnumerateArray().Single(g => g.GetProperty("gate").GetString() == "confidence");
        Assert.False(confidence.GetProperty("passed").GetBoolean());
        Assert.True(attempts[0].GetProperty("confidence").GetDouble() < 0.5);
        Assert.True(attempts[1].GetProperty("confidence").GetDouble() >= 0.5);

        // The wasted small attempt is part of what the request cost.
        var total = attempts.Sum(a => a.GetProperty("cost").GetDecimal());
        Assert.True(attempts[0].GetProperty("cost").GetDecimal() > 0);
        Assert.Equal(CostConsole.Data.Money.ToNanoUsd(total), row.CostNanoUsd);
        Assert.Equal(CostConsole.Data.Money.ToNanoUsd(attempts[0].GetProperty("cost").GetDecimal()), row.EscalationCostNanoUsd);
    }

    [Fact]
    public async Task A_confident_answer_is_kept_and_its_gates_are_recorded()
    {
        var (response, row) = await SendAsync(Ask("small", Easy));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("gpt-4.1-nano", response.Headers.GetValues("x-costconsole-model").Single());
        Assert.False(response.Headers.Contains("x-costconsole-escalations"));
        Assert.Equal(0, row.Escalations);
        var gates = Attempts(row).Single().GetProperty("gates").EnumerateArray().ToList();
        Assert.Contains(gates, g => g.GetProperty("gate").GetString() == "confidence");
        Assert.All(gates, g => Assert.True(g.GetProperty("passed").GetBoolean()));
    }

    [Fact]
    public async Task The_bound_on_escalations_holds_and_the_last_answer_is_flagged_for_a_person()
    {
        await PublishAsync(p => p with { Escalation = p.Escalation with { MaxEscalations = 1 } });

        // The middle model becomes as weak as the small one: its answer fails too, and one escalation is all there is.
        _factory.Simulator.Update(_factory.Simulator.Find("gpt-4.1-mini")! with { Capability = 0.2 });

        var (response, row) = await SendAsync(Ask("small", Hard));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("gpt-4.1-mini", response.Headers.GetValues("x-costconsole-model").Single());
        Assert.Equal("human", response.Headers.GetValues("x-costconsole-review").Single());
        Assert.Equal((1, (int)ReviewState.Open), (row.Escalations, row.Review));
        Assert.Equal(["First", "Escalation"], Attempts(row).Select(a => a.GetProperty("kind").GetString()));
    }

    [Fact]
    public async Task Two_weak_tiers_escalate_twice_to_the_top_tier()
    {
        _factory.Simulator.Update(_factory.Simulator.Find("gpt-4.1-mini")! with { Capability = 0.2 });

        var (response, row) = await SendAsync(Ask("small", Hard));

        Assert.Equal("gpt-4.1", response.Headers.GetValues("x-costconsole-model").Single());
        Assert.Equal((2, 0), (row.Escalations, row.Review));
        Assert.Equal(["small", "medium", "large"], Attempts(row).Select(a => a.GetProperty("tier").GetString()));
    }

    [Fact]
    public async Task With_escalation_off_a_weak_answer_is_returned_and_flagged()
    {
        await PublishAsync(p => p with { Escalation = p.Escalation with { MaxEscalations = 0 } });

        var (response, row) = await SendAsync(Ask("small", Hard));

        Assert.Equal("gpt-4.1-nano", response.Headers.GetValues("x-costconsole-model").Single());
        Assert.Equal((0, 1), (row.Escalations, row.Review));
    }

    [Fact]
    public async Task A_streamed_request_sees_only_the_final_attempt()
    {
        var (response, row) = await SendAsync(Ask("small", Hard, stream: true));
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("gpt-4.1-mini", response.Headers.GetValues("x-costconsole-model").Single());
        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);

        // Every event the client got came from the model that was kept.
        var models = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Where(e => e.StartsWith("data: {", StringComparison.Ordinal))
            .Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement.GetProperty("model").GetString())
            .Distinct()
            .ToList();
        Assert.Equal(["gpt-4.1-mini"], models);
        Assert.Equal(1, row.Escalations);
        Assert.Equal(["First", "Escalation"], Attempts(row).Select(a => a.GetProperty("kind").GetString()));
    }

    [Fact]
    public async Task A_judge_scores_each_answer_a_weak_one_escalates_and_the_judge_calls_are_part_of_the_cost()
    {
        var judge = new JudgeDefinition { Model = "simulator/gpt-4.1-mini" };
        await PublishAsync(p => p with
        {
            Escalation = new EscalationPolicy
            {
                MaxEscalations = 1,
                Tiers = [new TierGates { Tier = "small", Judge = judge }, new TierGates { Tier = "medium", Judge = judge }],
            },
        });

        var (hardResponse, hard) = await SendAsync(Ask("small", Hard));
        var (easyResponse, easy) = await SendAsync(Ask("small", Easy));

        // The small model hedges on the hard prompt and the judge marks it down; the medium model's answer passes.
        Assert.Equal(HttpStatusCode.OK, hardResponse.StatusCode);
        var attempts = Attempts(hard);
        Assert.Equal(["First", "Judge", "Escalation", "Judge"], attempts.Select(a => a.GetProperty("kind").GetString()));
        var verdicts = attempts.Where(a => a.TryGetProperty("gates", out var g) && g.ValueKind == JsonValueKind.Array)
            .Select(a => a.GetProperty("gates").EnumerateArray().Single(g => g.GetProperty("gate").GetString() == "judge"))
            .ToList();
        Assert.False(verdicts[0].GetProperty("passed").GetBoolean());
        Assert.Contains("scored 2/5", verdicts[0].GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.True(verdicts[1].GetProperty("passed").GetBoolean());
        Assert.Equal(CostConsole.Data.Money.ToNanoUsd(attempts.Sum(a => a.GetProperty("cost").GetDecimal())), hard.CostNanoUsd);
        // Quality control cost the thrown-away small answer and both judge calls; the kept medium answer is not part of it.
        var controlCost = new[] { 0, 1, 3 }.Sum(i => attempts[i].GetProperty("cost").GetDecimal());
        Assert.Equal(CostConsole.Data.Money.ToNanoUsd(controlCost), hard.EscalationCostNanoUsd);

        Assert.Equal(HttpStatusCode.OK, easyResponse.StatusCode);
        Assert.Equal(["First", "Judge"], Attempts(easy).Select(a => a.GetProperty("kind").GetString()));
        Assert.Equal(0, easy.Escalations);
    }

    [Fact]
    public async Task Gates_that_cannot_compile_are_refused_and_the_live_rule_set_stays()
    {
        var rules = _factory.Services.GetRequiredService<RuleSetService>();
        var before = await rules.PublishedAsync(TestContext.Current.CancellationToken);
        var draft = await rules.DraftAsync("test", TestContext.Current.CancellationToken);

        var saved = await rules.SaveDraftAsync(
            draft.Definition with
            {
                Escalation = new EscalationPolicy
                {
                    MaxEscalations = 9,
                    Tiers = [new TierGates { Tier = "small", MinConfidence = 1.5, MustMatch = ["(unclosed"] }, new TierGates { Tier = "huge" }],
                },
            },
            draft.ConcurrencyStamp,
            "test",
            TestContext.Current.CancellationToken);

        Assert.False(saved.Done);
        Assert.Contains("at most 5 escalations", saved.Summary, StringComparison.Ordinal);
        Assert.Contains("between 0 and 1", saved.Summary, StringComparison.Ordinal);
        Assert.Contains("(unclosed", saved.Summary, StringComparison.Ordinal);
        Assert.Contains("'huge', which does not exist", saved.Summary, StringComparison.Ordinal);
        Assert.Equal(before.Version, (await rules.PublishedAsync(TestContext.Current.CancellationToken)).Version);
    }
}
