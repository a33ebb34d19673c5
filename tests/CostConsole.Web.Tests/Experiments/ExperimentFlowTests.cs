using System.Net.Http.Json;
using System.Text.Json;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Experiments;
using CostConsole.Web.Experiments;
using CostConsole.Web.Tests.Infrastructure;
using CostConsole.Web.Traffic;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Experiments;

/// <summary>Experiments end to end: real requests through /v1, feedback through /api/feedback, results, promotion.</summary>
public sealed class ExperimentFlowTests : IAsyncLifetime
{
    // Prompts a small model finds moderately hard (difficulty around 0.2–0.46), sent to the small tier; on the two
    // hardest the weak model is often unsure enough for the small tier's confidence gate to escalate it.
    private static readonly string[] Prompts =
    [
        "Can you explain why my invoice is higher this month and compare it with last month?",
        "Please analyze why my invoice went up, compare it with last month and estimate next month's amount.",
        "Please estimate when my replacement will ship and explain why it was delayed.",
        "Evaluate the delay on order 8812, explain why it happened and recommend what you will do.",
    ];

    private readonly CostConsoleFactory _factory = new();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private ExperimentService Service => _factory.Services.GetRequiredService<ExperimentService>();

    public ValueTask InitializeAsync()
    {
        _ = _factory.BaseAddress;
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _factory.DisposeAsync();

    private static ExperimentForm Form(string name, ExperimentScope? scope = null, int controlWeight = 50) => new()
    {
        Name = name,
        Unit = AssignmentUnitKind.Conversation,
        ScopeTiers = scope?.Tiers ?? ["small"],
        ScopeTeams = scope?.Teams ?? [],
        BaselineResolutionPercent = 95,
        MinimumEffectPoints = 15,
        Arms =
        [
            Arm("control", controlWeight, "simulator/gpt-4.1-mini"),
            Arm("nano", 100 - controlWeight, "simulator/gpt-4.1-nano"),
        ],
    };

    private static ArmForm Arm(string name, int weight, string small) => new()
    {
        Name = name,
        Weight = weight,
        Tiers = new(StringComparer.OrdinalIgnoreCase)
        {
            ["small"] = [small],
            ["medium"] = ["simulator/gpt-4.1-mini"],
            ["large"] = ["simulator/gpt-4.1"],
        },
    };

    private async Task<(string RequestId, string Model)> AskAsync(HttpClient client, string prompt, string? conversation)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(new { model = "small", messages = new[] { new { role = "user", content = prompt } } }),
        };
        if (conversation is not null)
        {
            request.Headers.Add("x-costconsole-conversation", conversation);
        }

        using var response = await client.SendAsync(request, Cancel);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        return (response.Headers.GetValues("x-costconsole-request-id").Single(), body.GetProperty("model").GetString()!);
    }

    [Fact]
    public async Task A_weaker_cheaper_variant_is_shown_cheaper_and_worse_at_resolving_and_rolling_it_out_writes_its_mapping_into_the_routing_draft()
    {
        // This console's small tier runs on mini; the experiment tries the cheaper, weaker nano.
        await SetDefaultSmallTierAsync("gpt-4.1-mini");
        using var client = _factory.CreateApiClient();
        Assert.Equal("gpt-4.1-mini", (await AskAsync(client, Prompts[0], null)).Model);

        var created = await Service.CreateAsync(Form("small tier on nano"), "tester", Cancel);
        Assert.True(created.Done, created.Summary);
        var id = created.Id!.Value;
        var before = await Service.ResultsAsync(id, Cancel);
        Assert.Equal(ExperimentStatistics_RequiredPerArm(), before!.RequiredPerArm);
        Assert.False(before.ReachedSampleSize);

        Assert.True((await Service.StartAsync(id, "tester", Cancel)).Done);
        Assert.Contains(_factory.Services.GetRequiredService<RoutingState>().Current.Experiments, e => e.Id == id);

        // Customers: each conversation's outcome decided by the answering model's capability against the prompt.
        var outcomes = new SimulatedOutcomes(seed: 7);
        for (var i = 0; i < 400; i++)
        {
            var prompt = Prompts[i % Prompts.Length];
            var (requestId, model) = await AskAsync(client, prompt, $"conversation-{i}");
            var outcome = outcomes.Draw(_factory.Simulator.Find(model)!.Capability, prompt);
            using var feedback = await client.PostAsJsonAsync("/api/feedback", new { request_id = requestId, resolved = outcome.Resolved, csat = outcome.Csat }, Cancel);
            feedback.EnsureSuccessStatusCode();
        }

        // A second turn of an existing conversation stays in its arm.
        var firstArm = (await _factory.LedgerAsync()).First(r => r.ConversationId == "conversation-3").Arm;
        await AskAsync(client, "and one more thing", "conversation-3");
        Assert.All((await _factory.LedgerAsync()).Where(r => r.ConversationId == "conversation-3"), r => Assert.Equal(firstArm, r.Arm));

        // Without the conversation header a request is not enrolled.
        var (unenrolled, _) = await AskAsync(client, Prompts[0], null);
        Assert.Null((await _factory.LedgerAsync()).Single(r => r.RequestId == unenrolled).ExperimentId);

        var results = (await Service.ResultsAsync(id, Cancel))!;
        Assert.True(results.ReachedSampleSize, $"smallest arm has {results.SmallestArmOutcomes} of {results.RequiredPerArm}");
        Assert.InRange(results.Arms[0].Requests, 160, 241);
        var verdict = Assert.Single(results.Verdicts);
        var cost = verdict.Metrics.Single(m => m.Metric == "Cost per request");
        var resolution = verdict.Metrics.Single(m => m.Metric == "Resolution rate (FCR)");
        Assert.True(cost.Comparison.Significant() && cost.Comparison.Difference < 0, cost.Sentence);
        Assert.True(resolution.Comparison.Significant() && resolution.Comparison.Difference < 0, resolution.Sentence);
        TestContext.Current.TestOutputHelper?.WriteLine(verdict.Summary);
        var escalation = verdict.Metrics.Single(m => m.Metric == "Escalation rate");
        Assert.True(escalation.Comparison.Significant() && escalation.Comparison.Difference > 0, escalation.Sentence);
        Assert.Contains("points higher", escalation.Sentence, StringComparison.Ordinal);
        Assert.Contains("cost per request", verdict.Summary, StringComparison.Ordinal);
        Assert.Contains("% cheaper (95% CI", cost.Sentence, StringComparison.Ordinal);
        Assert.Contains("resolution rate", resolution.Sentence, StringComparison.Ordinal);
        Assert.Contains("points lower", resolution.Sentence, StringComparison.Ordinal);

        // Roll the variant out: its mapping goes into the routing draft, audited; live routing is unchanged.
        var ruleSets = _factory.Services.GetRequiredService<CostConsole.Web.Routing.RuleSetService>();
        var loaded = await ruleSets.DraftAsync("tester", Cancel);
        var rolled = await Service.RolloutAsync(id, "nano", loaded, "tester", Cancel);
        Assert.True(rolled.Done, rolled.Summary);
        var draft = await ruleSets.DraftAsync("tester", Cancel);
        Assert.Equal(RuleSetStatus.Draft, draft.Status);
        Assert.Equal(["simulator/gpt-4.1-nano"], draft.Definition.TierMapping!["small"]);
        Assert.Equal("gpt-4.1-mini", (await AskAsync(client, Prompts[0], null)).Model);
        await using var db = await _factory.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>().CreateDbContextAsync(Cancel);
        var audit = await db.AuditLog.AsNoTracking().Where(a => a.Action == "experiment.rollout").SingleAsync(Cancel);
        Assert.Contains("arm nano", audit.Details, StringComparison.Ordinal);
        Assert.Equal(ExperimentState.Running, (await Service.FindAsync(id, Cancel))!.State);

        // Rolling out from what was loaded before that change is a conflict, and changes nothing.
        var stale = await Service.RolloutAsync(id, "control", loaded, "tester", Cancel);
        Assert.False(stale.Done);
        Assert.NotNull(stale.Conflict);
        Assert.Equal(["simulator/gpt-4.1-nano"], (await ruleSets.DraftAsync("tester", Cancel)).Definition.TierMapping!["small"]);

        // Publishing the draft makes the arm's mapping the live one; the experiment, once stopped, no longer enrols.
        Assert.True((await Service.StopAsync(id, "tester", Cancel)).Done);
        var published = await ruleSets.PublishAsync(draft.ConcurrencyStamp, "small tier on nano, from the experiment", "tester", Cancel);
        Assert.True(published.Done, published.Summary);
        var (_, defaultModel) = await AskAsync(client, Prompts[0], "after-rollout");
        Assert.Equal("gpt-4.1-nano", defaultModel);
        Assert.Empty(_factory.Services.GetRequiredService<RoutingState>().Current.Experiments);
        Assert.Null((await _factory.LedgerAsync()).Single(r => r.ConversationId == "after-rollout").ExperimentId);

        // Control now starts from the live mapping, the rolled-out one.
        Assert.Equal(["simulator/gpt-4.1-nano"], (await Service.NewFormAsync(Cancel)).Arms[0].Tiers["small"]);
    }

    private async Task SetDefaultSmallTierAsync(string model)
    {
        await using var db = await _factory.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>().CreateDbContextAsync(Cancel);
        var mapping = await db.TierMappings.SingleAsync(m => m.IsDefault, Cancel);
        mapping.TiersJson = JsonSerializer.Serialize(new Dictionary<string, string[]> { ["small"] = [model], ["medium"] = ["gpt-4.1-mini"], ["large"] = ["gpt-4.1"] });
        Assert.Null(await _factory.Services.GetRequiredService<CostConsole.Web.Extensions.RoutingCompiler>().CommitAsync(db, Cancel));
    }

    private static long ExperimentStatistics_RequiredPerArm() => CostConsole.Web.Experiments.Statistics.ExperimentStatistics.SampleSizeForProportions(0.95, 0.80);

    [Fact]
    public async Task An_overlapping_experiment_is_refused_with_the_reason_and_nothing_changes()
    {
        var first = await Service.CreateAsync(Form("first"), "tester", Cancel);
        Assert.True((await Service.StartAsync(first.Id!.Value, "tester", Cancel)).Done);
        var second = await Service.CreateAsync(Form("second", new ExperimentScope()), "tester", Cancel);

        var refused = await Service.StartAsync(second.Id!.Value, "tester", Cancel);

        Assert.False(refused.Done);
        Assert.Contains("'first' is already running on the requests of tier small", refused.Summary, StringComparison.Ordinal);
        Assert.Equal(ExperimentState.Draft, (await Service.FindAsync(second.Id.Value, Cancel))!.State);
        Assert.Equal([first.Id.Value], _factory.Services.GetRequiredService<RoutingState>().Current.Experiments.Select(e => e.Id));

        // A different tier does not overlap.
        var third = await Service.CreateAsync(Form("third", new ExperimentScope { Tiers = ["large"] }), "tester", Cancel);
        Assert.True((await Service.StartAsync(third.Id!.Value, "tester", Cancel)).Done);
    }

    [Fact]
    public async Task A_running_experiment_cannot_be_changed_until_it_is_stopped()
    {
        var created = await Service.CreateAsync(Form("split"), "tester", Cancel);
        var id = created.Id!.Value;
        await Service.StartAsync(id, "tester", Cancel);
        var view = (await Service.FindAsync(id, Cancel))!;

        var refused = await Service.UpdateAsync(id, Form("split", controlWeight: 90), view.ConcurrencyStamp, "tester", Cancel);
        Assert.False(refused.Done);
        Assert.Contains("stop it first", refused.Summary, StringComparison.Ordinal);

        Assert.True((await Service.StopAsync(id, "tester", Cancel)).Done);
        view = (await Service.FindAsync(id, Cancel))!;
        Assert.True((await Service.UpdateAsync(id, Form("split", controlWeight: 90), view.ConcurrencyStamp, "tester", Cancel)).Done);
        Assert.Equal([90, 10], (await Service.FindAsync(id, Cancel))!.Arms.Select(a => a.Weight));
    }

    [Fact]
    public async Task A_bad_experiment_is_refused_with_clear_reasons_and_nothing_is_saved()
    {
        var form = Form("bad");
        form.Arms[0].Weight = 70;
        form.Arms[1].Tiers["small"] = ["simulator/no-such-model"];

        var result = await Service.CreateAsync(form, "tester", Cancel);

        Assert.False(result.Done);
        Assert.Contains("The traffic split must add up to 100%; it adds up to 120%.", result.Errors);
        Assert.Contains("Tier small: 'simulator/no-such-model' is not an enabled catalogue model.", result.Errors);
        Assert.Empty(await Service.ListAsync(Cancel));
    }
}
