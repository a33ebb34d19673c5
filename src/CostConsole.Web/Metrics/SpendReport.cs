using System.Linq.Expressions;
using CostConsole.Data;
using CostConsole.Data.Database;
using CostConsole.Data.Entities;
using CostConsole.Data.Metrics;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Metrics;

/// <summary>What the Spend page ranks by. A user is the request's end user (its <c>user</c> field), not a console user.</summary>
public enum SpendDimension
{
    Key,
    Team,
    User,
    Model,
    Conversation,
}

/// <summary>Requests, spend and baseline of one group or of the whole range, in nano-dollars.</summary>
public sealed record SpendFigures(long Requests, long CostNanoUsd, long BaselineCostNanoUsd)
{
    public static SpendFigures Empty { get; } = new(0, 0, 0);

    public decimal Spend => Money.FromNanoUsd(CostNanoUsd);

    public decimal Savings => Money.FromNanoUsd(BaselineCostNanoUsd - CostNanoUsd);

    public decimal? CostPerRequest => Requests > 0 ? Money.FromNanoUsd(CostNanoUsd) / Requests : null;

    public SpendFigures Plus(SpendFigures other) =>
        new(Requests + other.Requests, CostNanoUsd + other.CostNanoUsd, BaselineCostNanoUsd + other.BaselineCostNanoUsd);
}

/// <summary>One ranked group: its figures in the range and in the period of the same length just before.</summary>
public sealed record SpendRow(string Name, SpendFigures Current, SpendFigures Previous)
{
    /// <summary>Relative change of spend against the previous period; null when nothing was spent then.</summary>
    public double? SpendChange => Previous.CostNanoUsd == 0 ? null : (double)(Current.CostNanoUsd - Previous.CostNanoUsd) / Previous.CostNanoUsd;
}

/// <summary>The top groups by spend, whether more follow, and the totals of the range and of the period before.</summary>
public sealed record SpendRanking(SpendDimension By, MetricsRange Range, IReadOnlyList<SpendRow> Rows, bool More, SpendFigures Total, SpendFigures PreviousTotal)
{
    public double? SpendChange => PreviousTotal.CostNanoUsd == 0 ? null : (double)(Total.CostNanoUsd - PreviousTotal.CostNanoUsd) / PreviousTotal.CostNanoUsd;
}

/// <summary>
/// Ranks keys, teams, end users, models and conversations by spend, with grouped sums that SQLite and PostgreSQL both run.
/// Keys, teams, models and the totals come from the hour rollups for the range's whole hours that are settled (older than
/// the late-arrival margin) and from the ledger for the rest, so a month reads a few thousand rollup rows instead of
/// millions of requests. End users and conversations, too many to roll up, are summed from the ledger's covering indexes
/// (<see cref="SpendIndexes"/>), which hold each request's cost and baseline next to its group and time: over a range of
/// few requests by grouping them, over a longer one by walking the groups' running totals (<see cref="SpendTotals"/>) from
/// the highest down and summing only the groups whose total could still make the top. A team is the team the request's
/// key had when the ledger recorded it.
/// </summary>
/// <param name="groupedUpTo">Up to this many requests in a range, end users and conversations are ranked by grouping them.</param>
internal sealed class SpendReport(IDbContextFactory<CostConsoleDbContext> factory, TimeProvider? time = null, long groupedUpTo = SpendReport.GroupedUpTo)
{
    public const int MaxTop = 500;

    /// <summary>Grouping this many requests takes about as long as a walk of the totals (tens of milliseconds).</summary>
    public const long GroupedUpTo = 100_000;

    /// <summary>Groups summed in one statement while walking the totals.</summary>
    private const int WalkChunk = 500;

    public const string NoKey = "No key";
    public const string NoTeam = MetricsFilter.NoTeam;
    public const string NoModel = "No model (refused before routing)";

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public static string Name(SpendDimension by) => by.ToString().ToLowerInvariant();

    /// <summary>Parses the names used in links: key, team, user, model, conversation.</summary>
    public static SpendDimension ParseDimension(string? text) => text?.ToLowerInvariant() switch
    {
        null or "" or "key" => SpendDimension.Key,
        "team" => SpendDimension.Team,
        "user" => SpendDimension.User,
        "model" => SpendDimension.Model,
        "conversation" => SpendDimension.Conversation,
        _ => throw new MetricsInputException($"Unknown dimension '{text}'. Use key, team, user, model or conversation."),
    };

    public async Task<SpendRanking> RankAsync(SpendDimension by, MetricsRange range, int top, CancellationToken cancellationToken = default)
    {
        top = Math.Clamp(top, 1, MaxTop);
        var previous = range.Previous;
        await using var db = await factory.CreateDbContextAsync(cancellationToken);

        // Every request is in one cell of key × team × model, so the cells give the totals and the groups of those three.
        var cells = await CellsAsync(db, range.From, range.To, cancellationToken);
        var cellsBefore = await CellsAsync(db, previous.From, previous.To, cancellationToken);
        var total = cells.Aggregate(SpendFigures.Empty, (sum, s) => sum.Plus(s.Figures));
        var totalBefore = cellsBefore.Aggregate(SpendFigures.Empty, (sum, s) => sum.Plus(s.Figures));

        List<SpendRow> rows;
        bool more;
        if (by == SpendDimension.Conversation)
        {
            // Conversations are many: only the top ones leave the database, and only theirs are looked up before.
            (rows, more) = await TopAsync(db, range, top, r => r.ConversationId, SpendIndexes.Conversation, Walk(total, "ConversationSpend", "ConversationId", SpendTotals.ConversationWalk), cancellationToken);
            return new SpendRanking(by, range, rows, more, total, totalBefore);
        }

        if (by == SpendDimension.User)
        {
            (rows, more) = await TopAsync(db, range, top, r => r.EndUser, SpendIndexes.EndUser, Walk(total, "EndUserSpend", "EndUser", SpendTotals.EndUserWalk), cancellationToken);
            return new SpendRanking(by, range, rows, more, total, totalBefore);
        }

        Func<Sums, string> group;
        if (by == SpendDimension.Model)
        {
            group = s => s.Model ?? NoModel;
        }
        else if (by == SpendDimension.Team)
        {
            // A row counts for the team its key had when it was recorded; older rows, from before teams were recorded,
            // for the team their key has now.
            var keys = await db.ApiKeys.AsNoTracking().Select(k => new { k.Id, k.Team }).ToDictionaryAsync(k => k.Id, cancellationToken);
            group = s => s.Text
                ?? (s.Id is { } id && keys.TryGetValue(id, out var key) && !string.IsNullOrWhiteSpace(key.Team) ? key.Team : NoTeam);
        }
        else
        {
            var keys = await db.ApiKeys.AsNoTracking().Select(k => new { k.Id, k.Name }).ToDictionaryAsync(k => k.Id, cancellationToken);
            group = s => s.Id is { } id && keys.TryGetValue(id, out var key) ? key.Name : NoKey;
        }

        var groups = Merge(cells, group);
        var groupsBefore = Merge(cellsBefore, group);
        var ranked = groups.OrderByDescending(g => g.Value.CostNanoUsd).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
        more = ranked.Count > top;
        rows = [.. ranked.Take(top).Select(g => new SpendRow(g.Key, g.Value, groupsBefore.GetValueOrDefault(g.Key, SpendFigures.Empty)))];
        return new SpendRanking(by, range, rows, more, total, totalBefore);
    }

    /// <summary>Requests, spend and baseline of [from, to) per key, read as the rankings read them; requests without a key are left out.</summary>
    public async Task<IReadOnlyDictionary<long, SpendFigures>> ByKeyAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var byKey = new Dictionary<long, SpendFigures>();
        foreach (var cell in await CellsAsync(db, from, to, cancellationToken))
        {
            if (cell.Id is { } id)
            {
                byKey[id] = byKey.GetValueOrDefault(id, SpendFigures.Empty).Plus(cell.Figures);
            }
        }

        return byKey;
    }

    /// <summary>
    /// Requests, spend and baseline of [from, to) per key × team × model: the settled whole hours from the hour rollups,
    /// the part of an hour at either end and the last minutes, which the rollups may not have folded in yet, from the ledger.
    /// </summary>
    private async Task<List<Sums>> CellsAsync(CostConsoleDbContext db, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var fromMs = from.ToUnixTimeMilliseconds();
        var toMs = to.ToUnixTimeMilliseconds();
        var settled = RollupGrid.Floor((_time.GetUtcNow() - RollupStore.LateArrival).ToUnixTimeMilliseconds(), RollupGrid.HourMs);
        var hoursFrom = -RollupGrid.Floor(-fromMs, RollupGrid.HourMs);
        var hoursTo = Math.Min(RollupGrid.Floor(toMs, RollupGrid.HourMs), settled);
        if (hoursTo <= hoursFrom)
        {
            return await LedgerCellsAsync(db, from, to, cancellationToken);
        }

        var cells = await db.HourRollups.AsNoTracking()
            .Where(r => r.Start >= hoursFrom && r.Start < hoursTo)
            .GroupBy(r => new { r.ApiKeyId, r.Team, r.Model })
            .Select(g => new Sums
            {
                Id = g.Key.ApiKeyId, Text = g.Key.Team, Model = g.Key.Model,
                Requests = g.Sum(r => r.Requests), Cost = g.Sum(r => r.CostNanoUsd), Baseline = g.Sum(r => r.BaselineCostNanoUsd),
            })
            .ToListAsync(cancellationToken);
        if (hoursFrom > fromMs)
        {
            cells.AddRange(await LedgerCellsAsync(db, from, DateTimeOffset.FromUnixTimeMilliseconds(hoursFrom), cancellationToken));
        }

        if (toMs > hoursTo)
        {
            cells.AddRange(await LedgerCellsAsync(db, DateTimeOffset.FromUnixTimeMilliseconds(hoursTo), to, cancellationToken));
        }

        return cells;
    }

    private static Task<List<Sums>> LedgerCellsAsync(CostConsoleDbContext db, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
        In(db, from, to).GroupBy(r => new { r.ApiKeyId, r.Team, r.Model }).Select(g => new Sums
        {
            Id = g.Key.ApiKeyId, Text = g.Key.Team, Model = g.Key.Model,
            Requests = g.Count(), Cost = g.Sum(r => r.CostNanoUsd), Baseline = g.Sum(r => r.BaselineCostNanoUsd),
        }).ToListAsync(cancellationToken);

    /// <summary>The totals to walk for a range of this many requests, or null to group them.</summary>
    private Totals? Walk(SpendFigures range, string table, string column, string walkIndex) =>
        range.Requests > groupedUpTo ? new Totals(table, column, walkIndex) : null;

    /// <summary>
    /// The top groups of a text column with many values (conversations, end users), read from the column's covering
    /// index; rows without one are left out.
    /// </summary>
    private static async Task<(List<SpendRow> Rows, bool More)> TopAsync(
        CostConsoleDbContext db, MetricsRange range, int top, Expression<Func<RequestLogRow, string?>> column, string index, Totals? totals, CancellationToken cancellationToken)
    {
        var previous = range.Previous;
        var current = totals is null
            ? await SumsAsync(Grouped(In(db, range.From, range.To, index), column).OrderByDescending(s => s.Cost).ThenBy(s => s.Text).Take(top + 1), cancellationToken)
            : await WalkAsync(db, range, top + 1, totals, index, cancellationToken);
        var names = current.Take(top).Select(s => s.Text).ToList();
        var before = (await SumsAsync(Grouped(In(db, previous.From, previous.To, index), column).Where(s => names.Contains(s.Text)), cancellationToken))
            .ToDictionary(s => s.Text!, s => s.Figures);
        return ([.. current.Take(top).Select(s => new SpendRow(s.Text!, s.Figures, before.GetValueOrDefault(s.Text!, SpendFigures.Empty)))], current.Count > top);
    }

    /// <summary>
    /// The <paramref name="keep"/> groups that spent most in the range, exactly as grouping the ledger would rank them:
    /// the groups' totals are read from the highest down (only groups whose first and last request bracket part of the
    /// range), each candidate's sums in the range come from the covering index, and the walk stops at the first total
    /// below the <paramref name="keep"/>-th best sum so far: costs are never negative, so no group further down can
    /// reach it. On SQLite the groups of rows the totals have not folded yet are summed first, whatever their total.
    /// </summary>
    private static async Task<List<Sums>> WalkAsync(CostConsoleDbContext db, MetricsRange range, int keep, Totals totals, string index, CancellationToken cancellationToken)
    {
        var sqlite = db.Database.IsSqlite();
        var fromMs = range.From.ToUnixTimeMilliseconds();
        var toMs = range.To.ToUnixTimeMilliseconds();
        await db.Database.OpenConnectionAsync(cancellationToken);
        var connection = db.Database.GetDbConnection();
        var best = new SortedSet<Sums>(Ranking);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long Threshold() => best.Count < keep ? -1 : best.Max!.Cost;

        async Task SumAsync(List<string> names)
        {
            foreach (var chunk in names.Chunk(WalkChunk))
            {
                var list = string.Join(", ", chunk.Select((_, i) => "@n" + i));
                await using var command = connection.Command($"""
                    SELECT "{totals.Column}", COUNT(*), SUM("CostNanoUsd"), SUM("BaselineCostNanoUsd")
                    FROM "RequestLog" {(sqlite ? "INDEXED BY " + index : "")}
                    WHERE "{totals.Column}" IN ({list}) AND "Timestamp" >= @from AND "Timestamp" < @to
                    GROUP BY "{totals.Column}"
                    """).With("from", fromMs).With("to", toMs);
                for (var i = 0; i < chunk.Length; i++)
                {
                    command.With("n" + i, chunk[i]);
                }

                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    best.Add(new Sums
                    {
                        Text = reader.GetString(0), Requests = Number(reader.GetValue(1)), Cost = Number(reader.GetValue(2)), Baseline = Number(reader.GetValue(3)),
                    });
                    if (best.Count > keep)
                    {
                        best.Remove(best.Max!);
                    }
                }
            }
        }

        if (sqlite)
        {
            // SQLite's totals count the ledger through their mark; the groups of later rows may have spent more than that.
            // NOT INDEXED keeps SQLite on the id range: it would rather scan the whole group index for the non-null values.
            var mark = await SpendTotals.MarkAsync(connection, cancellationToken: cancellationToken);
            var fresh = new List<string>();
            await using (var command = connection.Command(
                $"""SELECT DISTINCT "{totals.Column}" FROM "RequestLog" NOT INDEXED WHERE "Id" > @mark AND "{totals.Column}" IS NOT NULL""").With("mark", mark))
            {
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    fresh.Add(reader.GetString(0));
                }
            }

            seen.UnionWith(fresh);
            await SumAsync(fresh);
        }

        var page = Math.Max(64, keep * 2);
        (long Cost, string Name)? after = null;
        while (true)
        {
            var threshold = Threshold();
            var read = new List<(string Name, long Cost)>();
            var below = after is null ? "" : """AND ("CostNanoUsd", "Name") < (@cost, @name)""";
            await using (var command = connection.Command($"""
                SELECT "Name", "CostNanoUsd" FROM "{totals.Table}" {(sqlite ? "INDEXED BY " + totals.WalkIndex : "")}
                WHERE "First" < @to AND "Last" >= @from {below}
                ORDER BY "CostNanoUsd" DESC, "Name" DESC
                LIMIT @page
                """).With("from", fromMs).With("to", toMs).With("page", page))
            {
                if (after is { } a)
                {
                    command.With("cost", a.Cost).With("name", a.Name);
                }

                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    read.Add((reader.GetString(0), reader.GetInt64(1)));
                }
            }

            await SumAsync([.. read.Where(r => r.Cost >= threshold && seen.Add(r.Name)).Select(r => r.Name)]);
            if (read.Count < page || read[^1].Cost < Threshold())
            {
                return [.. best];
            }

            after = (read[^1].Cost, read[^1].Name);
            page = Math.Min(page * 2, 8192);
        }
    }

    private static long Number(object value) => Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>By spend, highest first, then by name (ordinal), as the rankings list groups.</summary>
    private static readonly Comparer<Sums> Ranking = Comparer<Sums>.Create((a, b) =>
        a.Cost != b.Cost ? b.Cost.CompareTo(a.Cost) : string.CompareOrdinal(a.Text, b.Text));

    /// <summary>A group's totals table, the ledger column it sums by, and the index the walk reads it through.</summary>
    private sealed record Totals(string Table, string Column, string WalkIndex);

    // Rows without a value are left out before grouping, so the database reads the column's index from its first value.
    private static IQueryable<Sums> Grouped(IQueryable<RequestLogRow> rows, Expression<Func<RequestLogRow, string?>> column) =>
        rows.Where(Expression.Lambda<Func<RequestLogRow, bool>>(Expression.NotEqual(column.Body, Expression.Constant(null, typeof(string))), column.Parameters))
            .GroupBy(column).Select(g => new Sums
        {
            Text = g.Key, Requests = g.Count(), Cost = g.Sum(r => r.CostNanoUsd), Baseline = g.Sum(r => r.BaselineCostNanoUsd),
        });

    private static IQueryable<RequestLogRow> In(CostConsoleDbContext db, DateTimeOffset from, DateTimeOffset to, string? index = null) =>
        Source(db, index).AsNoTracking().Where(r => r.Timestamp >= from && r.Timestamp < to);

    /// <summary>
    /// The ledger, on SQLite read through the named index: its planner knows nothing of how much of the ledger a range
    /// covers, so it would take the time index and read a month of rows for their costs. PostgreSQL plans this itself.
    /// </summary>
    private static IQueryable<RequestLogRow> Source(CostConsoleDbContext db, string? index) =>
#pragma warning disable EF1002, EF1003 // The index name is one of SpendIndexes' constants, never input.
        index is null || !db.Database.IsSqlite() ? db.RequestLog : db.RequestLog.FromSqlRaw("SELECT * FROM RequestLog INDEXED BY " + index);
#pragma warning restore EF1002, EF1003

    private static Task<List<Sums>> SumsAsync(IQueryable<Sums> query, CancellationToken cancellationToken) => query.ToListAsync(cancellationToken);

    // Two keys may share a name (a revoked one and its successor): their rows add up under that name.
    private static Dictionary<string, SpendFigures> Merge(IEnumerable<Sums> sums, Func<Sums, string> name)
    {
        var merged = new Dictionary<string, SpendFigures>(StringComparer.Ordinal);
        foreach (var s in sums)
        {
            var key = name(s);
            merged[key] = merged.GetValueOrDefault(key, SpendFigures.Empty).Plus(s.Figures);
        }

        return merged;
    }

    private sealed class Sums
    {
        public long? Id { get; init; }

        public string? Text { get; init; }

        public string? Model { get; init; }

        public long Requests { get; init; }

        public long Cost { get; init; }

        public long Baseline { get; init; }

        public SpendFigures Figures => new(Requests, Cost, Baseline);
    }
}
