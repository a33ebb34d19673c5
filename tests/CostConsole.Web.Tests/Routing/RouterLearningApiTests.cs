using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CostConsole.Routing.Rules;
using CostConsole.Web.Routing;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Routing;

/// <summary>
/// The learning loop over HTTP against the simulator: /v1 traffic on the small tier, feedback on the easy answers and
/// escalations on the hard ones, then training from the ledger, proposals and auto-publish through the API.
/// </summary>
public sealed class RouterLearningApiTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    private static readonly SemaphoreSlim Seeding = new(1, 1);
    private static readonly string[] Things = ["order", "parcel", "invoice", "voucher", "refund", "subscription"];
    private static bool _seeded;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>30 easy questions answered by small and marked resolved, and 30 hard ones whose small answer escalated to medium.</summary>
    private async Task SeedAsync()
    {
        await Seeding.WaitAsync(Cancel);
        try
        {
            if (_seeded)
            {
                return;
            }

            using var client = factory.CreateApiClient();
            for (var i = 0; i < 30; i++)
            {
                var thing = Things[i % Things.Length];
                var easy = await AskAsync(client, $"Where is my {thing} {1000 + i}? Tracking please.");
                using var feedback = await client.PostAsJsonAsync("/api/feedback", new { request_id = easy, resolved = true }, Cancel);
                Assert.True(feedback.IsSuccessStatusCode, await feedback.Content.ReadAsStringAsync(Cancel));
                await AskAsync(client,
                    $"Analyze the root cause of the churn in our enterprise {thing} segment {i}, compare the retention strategy options and their trade-offs, "
                    + "forecast the revenue impact step by step and recommend an action plan.");
            }

            _seeded = true;
        }
        finally
        {
            Seeding.Release();
        }
    }

    private static async Task<string> AskAsync(HttpClient client, string prompt)
    {
        using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "small", messages = new[] { new { role = "user", content = prompt } } }, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues("x-costconsole-request-id").Single();
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string path, HttpContent? content = null)
    {
        using var client = factory.CreateApiClient();
        using var response = await client.PostAsync(path, content, Cancel);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement.Clone());
    }

    private async Task SetAutoPublishAsync(bool on)
    {
        using var client = factory.CreateApiClient();
        using var response = await client.PutAsJsonAsync("/api/router/auto-publish", new { enabled = on }, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<string> PublishedModelAsync() =>
        (await factory.Services.GetRequiredService<RuleSetService>().PublishedAsync(Cancel)).Definition.Classifier.Trained?.Model ?? "";

    [Fact]
    public async Task Training_from_the_ledger_uses_feedback_and_escalations_and_says_what_it_found()
    {
        await SeedAsync();

        var (status, body) = await PostAsync("/api/router/train?source=ledger&name=from-ledger");

        Assert.Equal(HttpStatusCode.OK, status);
        var ledger = body.GetProperty("ledger");
        Assert.Equal(60, ledger.GetProperty("examples").GetInt32());
        Assert.Equal(30, ledger.GetProperty("perSource").GetProperty("feedback").GetInt32());
        // The simulator decides per prompt whether small is sure of itself: nearly every analysis escalates, nearly no tracking question does.
        var escalated = (await factory.LedgerAsync()).Count(r => r.Escalations > 0);
        Assert.InRange(escalated, 25, 35);
        Assert.Equal(escalated, ledger.GetProperty("perSource").GetProperty("escalation").GetInt32());
        var perTier = ledger.GetProperty("perTier");
        Assert.InRange(perTier.GetProperty("small").GetInt32(), 25, 35);
        Assert.InRange(perTier.GetProperty("medium").GetInt32(), 25, 35);
        Assert.Equal(60, perTier.EnumerateObject().Sum(t => t.Value.GetInt32()));
        Assert.True(body.GetProperty("heldOutExamples").GetInt32() > 0);
        Assert.True(body.GetProperty("evaluation").GetProperty("curve").GetArrayLength() > 10);
        Assert.False(body.GetProperty("saved").GetBoolean());
    }

    [Fact]
    public async Task An_empty_range_or_a_range_without_labelled_requests_is_refused_and_proposes_nothing()
    {
        await SeedAsync();
        var before = (await factory.Services.GetRequiredService<RouterRetraining>().ListAsync(Cancel)).Count;

        var (emptyStatus, empty) = await PostAsync("/api/router/train?source=ledger&from=2026-01-10&to=2026-01-01");
        var (noneStatus, none) = await PostAsync("/api/router/proposals?from=2020-01-01&to=2020-01-31");

        Assert.Equal((HttpStatusCode.BadRequest, "empty_range"), (emptyStatus, empty.GetProperty("error").GetProperty("code").GetString()));
        Assert.Equal((HttpStatusCode.BadRequest, "no_labelled_requests"), (noneStatus, none.GetProperty("error").GetProperty("code").GetString()));
        Assert.Contains("No labelled requests between 2020-01-01", none.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, (await factory.Services.GetRequiredService<RouterRetraining>().ListAsync(Cancel)).Count);
    }

    [Fact]
    public async Task With_auto_publish_off_a_retrained_model_that_beats_the_published_one_stays_a_proposal_and_with_it_on_it_is_published()
    {
        await SeedAsync();
        var publishedBefore = await PublishedModelAsync();

        var (offStatus, off) = await PostAsync("/api/router/proposals");

        Assert.Equal(HttpStatusCode.Created, offStatus);
        var proposal = off.GetProperty("proposal");
        var comparison = proposal.GetProperty("comparison");
        Assert.True(comparison.GetProperty("beats").GetBoolean(), off.GetProperty("message").GetString());
        Assert.True(comparison.GetProperty("proposed").GetProperty("quality").GetDouble() >= comparison.GetProperty("published").GetProperty("quality").GetDouble());
        Assert.Equal(("Proposed", false), (proposal.GetProperty("state").GetString(), off.GetProperty("published").GetBoolean()));
        Assert.StartsWith("ledger-router@", proposal.GetProperty("model").GetString(), StringComparison.Ordinal);
        Assert.Equal(publishedBefore, await PublishedModelAsync());

        await SetAutoPublishAsync(true);
        try
        {
            var (onStatus, on) = await PostAsync("/api/router/proposals");

            Assert.Equal(HttpStatusCode.Created, onStatus);
            Assert.True(on.GetProperty("published").GetBoolean(), on.GetProperty("message").GetString());
            var model = on.GetProperty("proposal").GetProperty("model").GetString();
            Assert.Equal(model, await PublishedModelAsync());
            var audit = await factory.Services.GetRequiredService<RuleSetService>().AuditAsync(20, Cancel);
            Assert.Contains(audit, a => a.Action == "rule-set.publish" && a.Actor == "auto-publish" && a.Details!.Contains($"retrained {model} from the ledger", StringComparison.Ordinal) && a.Details.Contains("Beats the published router", StringComparison.Ordinal));
            Assert.Contains(audit, a => a.Action == "router.auto-publish.on");
        }
        finally
        {
            await SetAutoPublishAsync(false);
        }
    }

    [Fact]
    public async Task Too_few_labelled_requests_give_no_proposal_but_say_how_many_more_are_needed()
    {
        await SeedAsync();
        var retraining = factory.Services.GetRequiredService<RouterRetraining>();
        var today = DateTimeOffset.UtcNow;
        var rows = await factory.LedgerAsync();
        var firstTwo = rows.Where(r => r.Escalations > 0).Take(2).ToList();

        var result = await retraining.ProposeAsync(firstTwo[0].Timestamp, firstTwo[1].Timestamp.AddMilliseconds(1), "on demand", "test", Cancel);

        Assert.Null(result.Proposal);
        Assert.True(result.MoreNeeded > 0);
        Assert.Contains($"needs {result.MoreNeeded} more labelled requests", result.Message, StringComparison.Ordinal);
        Assert.True(today > firstTwo[1].Timestamp);
    }

    [Fact]
    public async Task An_exploration_share_outside_0_to_one_half_is_refused_and_the_draft_is_unchanged()
    {
        var ruleSets = factory.Services.GetRequiredService<RuleSetService>();
        var draft = await ruleSets.DraftAsync("test", Cancel);
        var trained = (draft.Definition.Classifier.Trained ?? new TrainedClassifierDefinition { Model = CostConsole.Routing.Learning.ShippedModels.Support }) with { Exploration = 0.7 };

        var saved = await ruleSets.SaveDraftAsync(draft.Definition with { Classifier = draft.Definition.Classifier with { Kind = ClassifierKind.Trained, Trained = trained } }, draft.ConcurrencyStamp, "test", Cancel);

        Assert.False(saved.Done);
        Assert.Contains("exploration share 0.7 is out of range", saved.Summary, StringComparison.Ordinal);
        Assert.Equal(draft.ConcurrencyStamp, (await ruleSets.DraftAsync("test", Cancel)).ConcurrencyStamp);
    }

    [Fact]
    public async Task The_train_router_command_trains_from_the_ledger_and_prints_what_it_found_with_the_metrics()
    {
        await SeedAsync();
        var now = DateTimeOffset.UtcNow;
        var original = Console.Out;
        using var output = new StringWriter();
        Console.SetOut(output);
        try
        {
            await CostConsole.Web.Commands.TrainRouterCommand.RunAsync(factory.Services, new CostConsole.Web.Commands.TrainRouterOptions(null, null, null, null) { Ledger = (now.AddDays(-1), now.AddMinutes(1)) });
        }
        finally
        {
            Console.SetOut(original);
        }

        var text = output.ToString();
        var json = JsonDocument.Parse(text[text.IndexOf('{', StringComparison.Ordinal)..]).RootElement;
        Assert.Equal(60, json.GetProperty("ledger").GetProperty("examples").GetInt32());
        Assert.True(json.GetProperty("evaluation").GetProperty("curve").GetArrayLength() > 10);
    }

    [Fact]
    public async Task Scheduled_retraining_runs_on_one_instance_at_a_time_and_once_per_interval()
    {
        var retraining = factory.Services.GetRequiredService<RouterRetraining>();

        var first = await retraining.TryLeaseAsync("instance-a", TimeSpan.FromHours(1), Cancel);
        var second = await retraining.TryLeaseAsync("instance-b", TimeSpan.FromHours(1), Cancel);
        await retraining.ReleaseLeaseAsync("instance-a", Cancel);
        var afterRelease = await retraining.TryLeaseAsync("instance-b", TimeSpan.FromHours(1), Cancel);

        Assert.Equal((true, false, false), (first, second, afterRelease));
    }
}

/// <summary>A console whose router retrains itself every second from the ledger.</summary>
public sealed class ScheduledRetrainFactory() : CostConsoleFactory(new Dictionary<string, string?>
{
    ["CostConsole:Router:Retrain:Schedule"] = "00:00:01",
    ["CostConsole:Router:Retrain:MinimumExamples"] = "10",
});

public sealed class ScheduledRetrainTests(ScheduledRetrainFactory factory) : IClassFixture<ScheduledRetrainFactory>
{
    [Fact]
    public async Task On_a_schedule_retraining_records_a_proposal_from_the_ledger_without_anyone_asking()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var client = factory.CreateApiClient();
        for (var i = 0; i < 12; i++)
        {
            using var easy = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "small", messages = new[] { new { role = "user", content = $"Where is my parcel {500 + i}? Tracking please." } } }, cancel);
            using var feedback = await client.PostAsJsonAsync("/api/feedback", new { request_id = easy.Headers.GetValues("x-costconsole-request-id").Single(), resolved = i % 3 != 0 }, cancel);
            Assert.True(feedback.IsSuccessStatusCode);
        }

        var retraining = factory.Services.GetRequiredService<RouterRetraining>();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        IReadOnlyList<RouterProposalView> proposals = [];
        while (DateTime.UtcNow < deadline && (proposals = await retraining.ListAsync(cancel)).Count == 0)
        {
            await Task.Delay(200, cancel);
        }

        var proposal = Assert.Single(proposals.Take(1));
        Assert.Equal(("schedule", "schedule"), (proposal.Trigger, proposal.CreatedBy));
        Assert.InRange(proposal.Data.Examples, 10, 12);
    }
}
