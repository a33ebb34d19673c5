using System.Net.Http.Json;
using CostConsole.Data;
using CostConsole.Routing.Escalation;
using CostConsole.Routing.Evaluation;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Rules;
using CostConsole.Web.Playground;
using CostConsole.Web.Review;
using CostConsole.Web.Routing;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Playground;

/// <summary>The playground, its labelled examples and the review queue over the real app and database.</summary>
public sealed class PlaygroundIntegrationTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    private T Service<T>()
        where T : notnull => factory.Services.GetRequiredService<T>();

    [Fact]
    public async Task A_streamed_playground_request_arrives_in_pieces_and_lands_in_the_ledger_with_its_conversation()
    {
        var form = new PlaygroundForm { Model = "small", Stream = true };
        form.Turns[1].Content = "What are your opening hours?";
        var pieces = new List<string>();

        var result = await Service<PlaygroundRunner>().RunAsync(form, "playground_test", pieces.Add, TestContext.Current.CancellationToken);

        Assert.True(result.Outcome.IsSuccess, result.Outcome.Error?.Message);
        Assert.True(pieces.Count > 1, "The answer should arrive in several pieces.");
        Assert.Equal(string.Concat(pieces), result.Answer);
        Assert.Equal("small", result.Outcome.Model!.Tier);
        var row = (await factory.LedgerAsync()).Single(r => r.RequestId == result.Outcome.RequestId);
        Assert.Equal("playground_test", row.ConversationId);
        Assert.True(row.Stream);
        Assert.Contains("opening hours", row.Prompt, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Compare_asks_every_tier_once()
    {
        var form = new PlaygroundForm();
        form.Turns[1].Content = "How do I reset my password?";

        var results = await Service<PlaygroundRunner>().CompareAsync(form, "playground_compare", TestContext.Current.CancellationToken);

        Assert.Equal(Service<ChatPipeline>().Snapshot.Tiers, results.Select(r => r.Tier));
        Assert.All(results, r => Assert.False(string.IsNullOrWhiteSpace(r.Result!.Answer)));
        var ledger = await factory.LedgerAsync();
        Assert.Equal(results.Count, ledger.Count(r => r.ConversationId == "playground_compare" && !r.Stream));
    }

    [Fact]
    public async Task Saving_a_prompt_again_changes_its_tier_instead_of_adding_a_second_example_and_the_labelled_check_reads_it()
    {
        var examples = Service<LabelledExamples>();
        var prompt = "Why was I charged twice for " + Guid.NewGuid().ToString("N")[..6] + "?";

        Assert.Equal(LabelledSaveResult.Added, await examples.SaveAsync(prompt, "small", "from a ticket", "console", TestContext.Current.CancellationToken));
        Assert.Equal(LabelledSaveResult.Updated, await examples.SaveAsync("  " + prompt + " ", "medium", null, "console", TestContext.Current.CancellationToken));

        var page = await examples.PageAsync(0, 100, TestContext.Current.CancellationToken);
        var saved = Assert.Single(page.Rows, r => r.Prompt == prompt);
        Assert.Equal("medium", saved.ExpectedTier);
        Assert.Equal("from a ticket", saved.Note);
        Assert.Equal("console", saved.CreatedBy);

        var (prompts, skipped) = await examples.ForCheckAsync(["small", "medium", "large"], TestContext.Current.CancellationToken);
        Assert.Equal(0, skipped);
        Assert.Contains(prompts, p => p.Prompt == prompt && p.ExpectedTier == "medium");
        var draft = await Service<RuleSetService>().DraftAsync("test", TestContext.Current.CancellationToken);
        var check = await Service<RoutingLab>().CheckAsync(draft.Definition, prompts, null, TestContext.Current.CancellationToken);
        Assert.Equal(prompts.Count, check.Draft.Total);

        Assert.True(await examples.DeleteAsync(saved.Id, TestContext.Current.CancellationToken));
        Assert.DoesNotContain((await examples.PageAsync(0, 100, TestContext.Current.CancellationToken)).Rows, r => r.Id == saved.Id);
    }

    [Fact]
    public async Task An_empty_prompt_is_not_saved()
    {
        var examples = Service<LabelledExamples>();
        var before = await examples.CountAsync(TestContext.Current.CancellationToken);

        var error = await Assert.ThrowsAsync<LabelledSetException>(() => examples.SaveAsync("   ", "small", null, "console", TestContext.Current.CancellationToken));

        Assert.Contains("no prompt to save", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, await examples.CountAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_top_tier_answer_that_fails_its_gates_waits_in_the_review_queue_until_someone_marks_it_handled()
    {
        var rules = Service<RuleSetService>();
        var draft = await rules.DraftAsync("test", TestContext.Current.CancellationToken);
        var original = draft.Definition;
        var strict = original with
        {
            Escalation = original.Escalation with
            {
                Tiers = [.. original.Escalation.Tiers.Where(t => t.Tier != "large"), new TierGates { Tier = "large", MustMatch = ["^CASE-[0-9]+$"] }],
            },
        };
        await PublishAsync(rules, strict);
        try
        {
            using var client = factory.CreateApiClient();
            using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "large", messages = new[] { new { role = "user", content = "Summarise our refund policy." } } }, TestContext.Current.CancellationToken);
            response.EnsureSuccessStatusCode();
            var requestId = response.Headers.GetValues("x-costconsole-request-id").Single();

            var queue = Service<ReviewQueue>();
            var page = await queue.PageAsync(0, 25, TestContext.Current.CancellationToken);
            var item = Assert.Single(page.Rows, r => r.RequestId == requestId);
            Assert.Equal("large", item.Tier);
            Assert.Contains(item.FailedGates, g => g.Contains("CASE-", StringComparison.Ordinal));
            Assert.Contains("refund policy", item.PromptExcerpt, StringComparison.Ordinal);

            Assert.True(await queue.MarkHandledAsync(item.Id, "console", TestContext.Current.CancellationToken));
            Assert.False(await queue.MarkHandledAsync(item.Id, "console", TestContext.Current.CancellationToken));

            Assert.DoesNotContain((await queue.PageAsync(0, 25, TestContext.Current.CancellationToken)).Rows, r => r.RequestId == requestId);
            var row = (await factory.LedgerAsync()).Single(r => r.RequestId == requestId);
            Assert.Equal((int)ReviewState.Closed, row.Review);
            await using var db = await Service<IDbContextFactory<CostConsoleDbContext>>().CreateDbContextAsync(TestContext.Current.CancellationToken);
            var audit = await db.AuditLog.SingleAsync(a => a.Action == "review.handled" && a.Subject == requestId, TestContext.Current.CancellationToken);
            Assert.Equal("console", audit.Actor);
        }
        finally
        {
            await PublishAsync(rules, original);
        }
    }

    private static async Task PublishAsync(RuleSetService rules, RuleSetDefinition definition)
    {
        var draft = await rules.DraftAsync("test", TestContext.Current.CancellationToken);
        var saved = await rules.SaveDraftAsync(definition, draft.ConcurrencyStamp, "test", TestContext.Current.CancellationToken);
        Assert.True(saved.Done, saved.Summary);
        var published = await rules.PublishAsync(saved.Version!.ConcurrencyStamp, "review queue test", "test", TestContext.Current.CancellationToken);
        Assert.True(published.Done, published.Summary);
    }
}
