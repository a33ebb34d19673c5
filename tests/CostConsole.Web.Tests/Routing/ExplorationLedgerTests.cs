using System.Net;
using System.Net.Http.Json;
using CostConsole.Routing.Learning;
using CostConsole.Routing.Rules;
using CostConsole.Web.Routing;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Routing;

/// <summary>A published exploration share over HTTP: what /v1 requests are served, and what the ledger records for retraining.</summary>
public sealed class ExplorationLedgerTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task With_an_exploration_share_published_classifier_decisions_record_their_propensity_some_explore_and_rule_decisions_never_do()
    {
        var ruleSets = factory.Services.GetRequiredService<RuleSetService>();
        var draft = await ruleSets.DraftAsync("test", Cancel);
        var trained = new TrainedClassifierDefinition { Model = ShippedModels.Support, Exploration = 0.5 };
        var saved = await ruleSets.SaveDraftAsync(draft.Definition with { Classifier = draft.Definition.Classifier with { Kind = ClassifierKind.Trained, Trained = trained } }, draft.ConcurrencyStamp, "test", Cancel);
        Assert.True(saved.Done, saved.Summary);
        var published = await ruleSets.PublishAsync(saved.Version!.ConcurrencyStamp, "explore half of the classifier's decisions", "test", Cancel);
        Assert.True(published.Done, published.Summary);

        using var client = factory.CreateApiClient();
        var ids = new List<(string Id, bool Ruled)>();
        for (var i = 0; i < 40; i++)
        {
            var ruled = i % 4 == 0;
            var prompt = ruled ? $"Analyze the churn of segment {i}" : $"Can you help me change the email on my account {i}?";
            using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = prompt } } }, Cancel);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            ids.Add((response.Headers.GetValues("x-costconsole-request-id").Single(), ruled));
        }

        var ledger = (await factory.LedgerAsync()).ToDictionary(r => r.RequestId);
        var ruledRows = ids.Where(x => x.Ruled).Select(x => ledger[x.Id]).ToList();
        var classified = ids.Where(x => !x.Ruled).Select(x => ledger[x.Id]).ToList();

        Assert.All(ruledRows, r => Assert.Equal(("analysis", false, (double?)null), (r.Rule, r.Explored, r.Propensity)));
        Assert.All(classified, r => Assert.NotNull(r.Propensity));
        var explored = classified.Where(r => r.Explored).ToList();
        Assert.NotEmpty(explored);
        Assert.Contains(classified, r => !r.Explored);
        Assert.All(explored, r => Assert.Contains($"explored: {r.Tier} instead of ", r.Decision, StringComparison.Ordinal));
        Assert.All(explored, r => Assert.InRange(r.Propensity!.Value, 0.25, 0.5));
        Assert.All(classified.Where(r => !r.Explored), r => Assert.Equal(0.5, r.Propensity!.Value, 9));
    }
}
