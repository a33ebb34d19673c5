using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Routing.Evaluation;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Rules;
using CostConsole.Web.Tests.Infrastructure;

namespace CostConsole.Web.Tests.Routing;

public sealed class RoutingLabTests : IAsyncLifetime
{
    private CatalogueDatabase _db = null!;

    public async ValueTask InitializeAsync() => _db = await CatalogueDatabase.CreateAsync();

    public ValueTask DisposeAsync() => _db.DisposeAsync();

    private async Task<RuleSetDefinition> DraftWithRefundsOnSmallAsync()
    {
        var published = await _db.RuleSets.PublishedAsync();
        return published.Definition with
        {
            Rules = [new RuleDefinition { Name = "refunds", Conditions = [new KeywordCondition(KeywordMatch.Any, ["refund"])], Action = RuleAction.ToTier("small") }, .. published.Definition.Rules],
        };
    }

    [Fact]
    public async Task The_bench_shows_the_draft_and_the_published_decision_side_by_side_with_their_cost()
    {
        var result = await _db.Lab.BenchAsync(await DraftWithRefundsOnSmallAsync(), "I would like a refund please", null, false);

        Assert.Equal(("small", "refunds"), (result.Draft.Decision.Tier, result.Draft.Decision.Rule));
        Assert.Equal("medium", result.Published.Decision.Tier);
        Assert.True(result.Draft.EstimatedCost < result.Published.EstimatedCost);
        Assert.Equal(result.Draft.BaselineCost, result.Published.BaselineCost);
    }

    [Fact]
    public async Task The_labelled_check_scores_both_rule_sets()
    {
        var prompts = LabelledSetReader.Parse("""
            prompt,tier
            "I want a refund, now",small
            Where is my order?,small
            Analyze churn by segment,large
            Please change my plan to annual billing and add two seats for my colleagues.,medium
            """, ["small", "medium", "large"]);

        var result = await _db.Lab.CheckAsync(await DraftWithRefundsOnSmallAsync(), prompts, null, CancellationToken.None);

        Assert.Equal(4, result.Draft.Correct);
        Assert.Equal(3, result.Published.Correct);
        Assert.Equal(0.75, result.Published.Accuracy);
        Assert.Equal(1, result.Published.Count(0, 1));
        Assert.Equal(0.5, result.Published.Recall(0));
        var miss = Assert.Single(result.Misses);
        Assert.Equal(("small", "small", "medium"), (miss.Expected, miss.Draft, miss.Published));
    }

    [Fact]
    public async Task A_dry_run_re_decides_recorded_traffic_with_the_tokens_it_used_and_counts_what_it_cannot()
    {
        var at = DateTimeOffset.UtcNow.AddMinutes(-5);
        await _db.QueryAsync(async db =>
        {
            db.RequestLog.AddRange(
                Row("r1", at, new RoutingInput("please refund me", 1, false, new Dictionary<string, string>(), [], 1_000), completion: 500),
                Row("r2", at, new RoutingInput("analyze the quarter step by step", 1, false, new Dictionary<string, string>(), [], 1_000), completion: 500),
                Row("r3", at, null, completion: 500));
            return await db.SaveChangesAsync();
        });

        var result = await _db.Lab.DryRunAsync(await DraftWithRefundsOnSmallAsync(), 100, null, CancellationToken.None);

        Assert.Equal((2, 1, 1), (result.Considered, result.Skipped, result.ChangedTier));
        // r1: published medium (mini) 1000×0.40 + 500×1.60 = $0.0012; draft small (nano) 1000×0.10 + 500×0.40 = $0.0003. r2: large both, 1000×2 + 500×8 = $0.006.
        Assert.Equal(0.0072m, result.PublishedCost);
        Assert.Equal(0.0063m, result.DraftCost);
        Assert.Equal(0.012m, result.Baseline);
        Assert.Equal(("medium", "small"), (result.Changes[0].PublishedTier, result.Changes[0].DraftTier));
    }

    [Fact]
    public async Task A_cancelled_dry_run_says_so_and_reports_what_it_covered()
    {
        using var cancel = new CancellationTokenSource();
        // Cancel as a person would, once the run has shown progress.
        var progress = new SynchronousProgress<(int Done, int Total)>(_ => cancel.Cancel());

        var result = await _db.Lab.DryRunWorkloadAsync(await DraftWithRefundsOnSmallAsync(), "refund me\nwhere is my order\nanalyze churn", progress, cancel.Token);

        Assert.True(result.Cancelled);
        Assert.Equal(1, result.Considered);
    }

    [Fact]
    public async Task An_uploaded_workload_is_dry_run_at_the_recent_average_completion()
    {
        var result = await _db.Lab.DryRunWorkloadAsync(await DraftWithRefundsOnSmallAsync(), "refund me\n{\"prompt\": \"where is my order\"}\n\n", null, CancellationToken.None);

        Assert.Equal(2, result.Considered);
        Assert.Equal(1, result.ChangedTier);
        Assert.True(result.DraftCost < result.PublishedCost);
    }

    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }

    private static RequestLogRow Row(string id, DateTimeOffset at, RoutingInput? input, long completion) => new()
    {
        RequestId = id,
        Timestamp = at,
        Status = 0,
        HttpStatus = 200,
        Tier = "medium",
        Model = "simulator/gpt-4.1-mini",
        PromptTokens = input?.PromptTokens ?? 1_000,
        CompletionTokens = completion,
        CostNanoUsd = Money.ToNanoUsd(0.001m),
        BaselineCostNanoUsd = Money.ToNanoUsd(0.006m),
        RoutingInput = input?.ToJson(),
    };
}
