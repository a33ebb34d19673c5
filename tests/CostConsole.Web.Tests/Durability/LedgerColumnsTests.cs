using CostConsole.Data.Database;
using CostConsole.Data.Ledger;
using CostConsole.Routing.Pipeline;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Durability;

/// <summary>
/// The SQLite ledger writer binds its 53 values by position on a statement of its own: every column must land where it
/// belongs, with the value and SQLite type <c>SqliteCommand</c> would have given it.
/// </summary>
public sealed class LedgerColumnsTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    [Fact]
    public async Task Every_column_of_a_ledger_row_holds_what_the_entry_gave_it()
    {
        var database = factory.Services.GetRequiredService<CostConsoleDatabase>();
        var at = new DateTimeOffset(2026, 12, 7, 23, 30, 15, 123, TimeSpan.Zero);
        var entry = new LedgerEntry
        {
            RequestId = "req_" + Guid.CreateVersion7().ToString("N"),
            Timestamp = at,
            ApiKeyId = 7,
            Team = "support",
            ConversationId = "conv-42",
            EndUser = "customer-9",
            Protocol = "responses",
            BatchId = "batch_1",
            ExperimentId = 3,
            Arm = "B",
            RequestedModel = "auto",
            Tier = "small",
            Model = "simulator/gpt-4.1-mini",
            Provider = "simulator",
            Rule = "faq",
            Decision = "rule faq",
            Mapping = "small→mini",
            RuleSetVersion = 12,
            PromptTokens = 120,
            CachedTokens = 64,
            CacheWriteTokens = 32,
            CompletionTokens = 48,
            Cost = 0.000123456m,
            BaselineCost = 0.00456789m,
            Priced = true,
            LatencyMs = 812.25,
            TimeToFirstTokenMs = 95.5,
            Status = LedgerStatus.Failed,
            HttpStatus = 200,
            ErrorCode = "none",
            Error = "an earlier attempt failed",
            Stream = true,
            Fallbacks = 1,
            Escalations = 2,
            Review = ReviewState.Open,
            EscalationCost = 0.0002m,
            PromptHash = new string('a', 64),
            Prompt = "Where is my parcel? Ünïcödé ✓",
            Answer = "It ships tomorrow.",
            RoutingInput = "where is my parcel",
            PersonalData = "email",
            PromptRedacted = true,
            CacheLevel = "semantic",
            CacheEntryId = "cache_5",
            CacheSimilarity = 0.975,
            CacheAvoidedCost = 0.001m,
            ColdCacheCost = 0.0003m,
            ShadowModel = "simulator/gpt-4.1",
            ShadowTier = "large",
            ShadowDecision = "agree",
            Explored = true,
            Propensity = 0.25,
        };

        await using (var writer = new LedgerWriter(database, new LedgerOptions()))
        {
            var recorded = writer.RecordAsync(entry).AsTask();
            writer.Start();
            await recorded.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        }

        await using var connection = new SqliteConnection(database.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT "Timestamp", "ApiKeyId", "Team", "ConversationId", "EndUser", "Protocol", "BatchId", "ExperimentId", "Arm",
                   "RequestedModel", "Tier", "Model", "Provider", "Rule", "Decision", "Mapping", "RuleSetVersion", "PromptTokens",
                   "CachedTokens", "CacheWriteTokens", "CompletionTokens", "CostNanoUsd", "BaselineCostNanoUsd", "Priced",
                   "LatencyMs", "TimeToFirstTokenMs", "Status", "HttpStatus", "ErrorCode", "Error", "Stream", "Fallbacks",
                   "Escalations", "Review", "EscalationCostNanoUsd", "PromptHash", "Prompt", "Answer", "RoutingInput",
                   "PersonalData", "PromptRedacted", "CacheLevel", "CacheEntryId", "CacheSimilarity", "CacheAvoidedCostNanoUsd",
                   "ColdCacheCostNanoUsd", "ShadowModel", "ShadowTier", "ShadowDecision", "Explored", "Propensity",
                   typeof("Priced"), typeof("LatencyMs"), typeof("AttemptsJson")
            FROM "RequestLog" WHERE "RequestId" = $id
            """;
        command.Parameters.AddWithValue("$id", entry.RequestId);
        await using var row = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        Assert.True(await row.ReadAsync(TestContext.Current.CancellationToken));

        object?[] expected =
        [
            at.ToUnixTimeMilliseconds(), 7L, "support", "conv-42", "customer-9", "responses", "batch_1", 3L, "B",
            "auto", "small", "simulator/gpt-4.1-mini", "simulator", "faq", "rule faq", "small→mini", 12L, 120L,
            64L, 32L, 48L, 123_456L, 4_567_890L, 1L,
            812.25, 95.5, (long)LedgerStatus.Failed, 200L, "none", "an earlier attempt failed", 1L, 1L,
            2L, (long)ReviewState.Open, 200_000L, new string('a', 64), "Where is my parcel? Ünïcödé ✓", "It ships tomorrow.", "where is my parcel",
            "email", 1L, "semantic", "cache_5", 0.975, 1_000_000L,
            300_000L, "simulator/gpt-4.1", "large", "agree", 1L, 0.25,
            "integer", "real", "null",
        ];
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Equals(expected[i], row.IsDBNull(i) ? null : row.GetValue(i)), $"column {row.GetName(i)}: expected {expected[i]}, stored {row.GetValue(i)}");
        }
    }
}
