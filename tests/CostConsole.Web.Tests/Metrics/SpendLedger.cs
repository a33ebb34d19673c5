using CostConsole.Data;
using CostConsole.Data.Database;
using CostConsole.Data.Entities;
using CostConsole.Data.Metrics;
using CostConsole.Web.Metrics;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Tests.Metrics;

/// <summary>
/// A small ledger with figures worked out by hand: three keys of two teams, two end users, a request without a key, in the custom
/// range 2026-11-10 to 2026-11-11 (UTC) and in the two days before it.
/// </summary>
internal static class SpendLedger
{
    public static MetricsRange Range => MetricsRange.Create(RangeKind.Custom, DateTimeOffset.UtcNow, new DateOnly(2026, 11, 10), new DateOnly(2026, 11, 11));

    public static async Task SeedAsync(IDbContextFactory<CostConsoleDbContext> factory)
    {
        await using var db = await factory.CreateDbContextAsync();
        var supportBot = Key("support-bot", "support");
        var billing = Key("billing", "finance");
        var crm = Key("crm", "support");
        db.ApiKeys.AddRange(supportBot, billing, crm);
        await db.SaveChangesAsync();

        var start = new DateTimeOffset(2026, 11, 10, 0, 0, 0, TimeSpan.Zero);
        var end = start.AddDays(2);
        db.RequestLog.AddRange(
            Row(supportBot.Id, start, "gpt-4o-mini", 1.00m, 4.00m, "c1", "alice"),
            Row(supportBot.Id, start.AddHours(30), "gpt-4o-mini", 0.50m, 2.00m, "c1", "alice"),
            Row(billing.Id, start.AddHours(5), "gpt-4o", 2.00m, 2.50m, "c2", "bob"),
            Row(crm.Id, end.AddMilliseconds(-1), "gpt-4o-mini", 0.25m, 1.00m, null, "alice"),
            Row(null, start.AddHours(1), null, 0.10m, 0.10m, null),

            // The two days before.
            Row(supportBot.Id, start.AddMilliseconds(-1), "gpt-4o-mini", 0.75m, 3.00m, "c1", "alice"),
            Row(billing.Id, start.AddDays(-2), "gpt-4o", 4.00m, 5.00m, null),

            // Outside both: the range ends at midnight after its last day, and four days before is too early.
            Row(supportBot.Id, end, "gpt-4o-mini", 9.00m, 9.00m, "c1"),
            Row(billing.Id, start.AddDays(-2).AddMilliseconds(-1), "gpt-4o", 9.00m, 9.00m, "c2"));
        await db.SaveChangesAsync();
        await RollUpAsync(factory);
    }

    /// <summary>Rebuilds the rollups from the ledger, as the console keeps them for rows written through it.</summary>
    public static async Task RollUpAsync(IDbContextFactory<CostConsoleDbContext> factory)
    {
        await using var db = await factory.CreateDbContextAsync();
        await using var database = new CostConsoleDatabase(db.Database.IsSqlite() ? DatabaseProvider.Sqlite : DatabaseProvider.PostgreSql, db.Database.GetConnectionString()!);
        await using var rollups = new RollupStore(database, TimeProvider.System, TimeSpan.FromHours(1));
        await rollups.RebuildAsync(DateTimeOffset.UnixEpoch);
    }

    private static ApiKeyEntity Key(string name, string team) => new()
    {
        Name = name,
        Team = team,
        Prefix = "cc-" + name[..3],
        Hash = Guid.NewGuid().ToString("N"),
        CreatedAt = new DateTimeOffset(2026, 10, 1, 0, 0, 0, TimeSpan.Zero),
    };

    public static RequestLogRow Row(long? keyId, DateTimeOffset at, string? model, decimal cost, decimal baseline, string? conversation, string? user = null) => new()
    {
        EndUser = user,
        RequestId = "req_" + Guid.NewGuid().ToString("N"),
        Timestamp = at,
        ApiKeyId = keyId,
        Model = model,
        ConversationId = conversation,
        CostNanoUsd = Money.ToNanoUsd(cost),
        BaselineCostNanoUsd = Money.ToNanoUsd(baseline),
        HttpStatus = 200,
    };
}
