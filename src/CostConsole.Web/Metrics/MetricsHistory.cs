using System.Text;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Data.Metrics;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Pipeline;
using CostConsole.Web.Extensions;
using System.Data.Common;
using CostConsole.Data.Database;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Metrics;

/// <summary>Sums of rollup rows; rates are null when there was nothing to divide.</summary>
public sealed record MetricsTotals(
    long Requests, long Answered, long Failed, long Rejected, long FallbackRequests, long Fallbacks, long Escalations,
    long PromptTokens, long CompletionTokens, long CostNanoUsd, long BaselineCostNanoUsd, long EscalatedRequests = 0, long EscalationCostNanoUsd = 0,
    long CachedTokens = 0)
{
    public static MetricsTotals Empty { get; } = new(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    public decimal Spend => Money.FromNanoUsd(CostNanoUsd);

    public decimal Baseline => Money.FromNanoUsd(BaselineCostNanoUsd);

    public decimal Savings => Baseline - Spend;

    /// <summary>Savings as a share of the baseline.</summary>
    public double? SavingsRate => BaselineCostNanoUsd > 0 ? (double)(BaselineCostNanoUsd - CostNanoUsd) / BaselineCostNanoUsd : null;

    public double? FallbackRate => Requests > 0 ? (double)FallbackRequests / Requests : null;

    /// <summary>Requests a failed quality gate sent at least one tier up, as a share of all.</summary>
    public double? EscalationRate => Requests > 0 ? (double)EscalatedRequests / Requests : null;

    /// <summary>Spent on quality control: answers thrown away by escalation, and judge calls (part of <see cref="Spend"/>).</summary>
    public decimal EscalationCost => Money.FromNanoUsd(EscalationCostNanoUsd);

    /// <summary>Failed and rejected requests as a share of all.</summary>
    public double? ErrorRate => Requests > 0 ? (double)(Failed + Rejected) / Requests : null;

    public long Errors => Failed + Rejected;

    /// <summary>Prompt tokens the providers read from their prompt cache, as a share of all prompt tokens.</summary>
    public double? CacheReadShare => PromptTokens > 0 ? (double)CachedTokens / PromptTokens : null;
}

/// <summary>One chart bucket.</summary>
public sealed record MetricsBucket(DateTimeOffset Start, IReadOnlyDictionary<string, decimal> SpendByTier, MetricsTotals Totals, double? LatencyP50Ms, double? LatencyP95Ms);

/// <summary>What the dashboard shows for one range and filter.</summary>
public sealed record MetricsView(
    MetricsRange Range,
    MetricsFilter Filter,
    IReadOnlyList<string> Tiers,
    IReadOnlyList<MetricsBucket> Buckets,
    MetricsTotals Totals,
    IReadOnlyDictionary<string, decimal> SpendByTier,
    IReadOnlyDictionary<string, long> RequestsByTier,
    double? LatencyP50Ms,
    double? LatencyP95Ms);

/// <summary>The headline cards: fixed periods (today, this month) and the chosen range, each with the period before.</summary>
public sealed record HeadlineFigures(
    MetricsTotals Today, MetricsTotals Yesterday, MetricsTotals Month, MetricsTotals PreviousMonth, MetricsTotals Range, MetricsTotals PreviousRange, string RangeName);

/// <summary>Values the filters offer.</summary>
public sealed record MetricsChoices(IReadOnlyList<(long Id, string Name)> Keys, IReadOnlyList<string> Tiers, IReadOnlyList<string> Models, IReadOnlyList<string> Rules)
{
    /// <summary>Teams of today's keys and teams the rollups recorded, so a team whose keys were moved can still be read.</summary>
    public IReadOnlyList<string> Teams { get; init; } = [];
}

/// <summary>One row of the CSV export: a bucket × tier × model.</summary>
public sealed record MetricsExportRow(DateTimeOffset Start, string? Tier, string? Model, MetricsTotals Totals, double? LatencyP50Ms, double? LatencyP95Ms);

/// <summary>History from the minute and hour rollups; the cards of today, this month and a range that runs to now read the ledger for their last minutes.</summary>
internal sealed class MetricsHistory(CostConsoleDatabase database, RoutingState routing, IDbContextFactory<CostConsoleDbContext> factory)
{
    public async Task<MetricsView> LoadAsync(MetricsRange range, MetricsFilter filter, CancellationToken cancellationToken = default)
    {
        var tiers = routing.Current.Tiers.ToList();
        var buckets = new SortedDictionary<long, Accumulator>();
        var all = new Accumulator();
        var bucketMs = (long)range.Bucket.TotalMilliseconds;
        await ReadAsync(range, filter, row =>
        {
            var start = RollupGrid.Floor(row.Start, bucketMs);
            if (!buckets.TryGetValue(start, out var bucket))
            {
                bucket = new Accumulator();
                buckets[start] = bucket;
            }

            bucket.Add(row);
            all.Add(row);
            if (row.Tier is { } tier && !tiers.Contains(tier))
            {
                tiers.Add(tier);
            }
        }, cancellationToken);

        // Every bucket of the window is present, empty ones too, so charts show quiet periods as zero.
        var series = new List<MetricsBucket>();
        for (var start = RollupGrid.Floor(range.From.ToUnixTimeMilliseconds(), bucketMs); start < range.To.ToUnixTimeMilliseconds(); start += bucketMs)
        {
            var bucket = buckets.GetValueOrDefault(start) ?? new Accumulator();
            series.Add(new MetricsBucket(
                DateTimeOffset.FromUnixTimeMilliseconds(start),
                tiers.ToDictionary(t => t, t => Money.FromNanoUsd(bucket.SpendByTier.GetValueOrDefault(t))),
                bucket.Totals(),
                bucket.Latency.Percentile(0.50),
                bucket.Latency.Percentile(0.95)));
        }

        return new MetricsView(
            range,
            filter,
            tiers,
            series,
            all.Totals(),
            tiers.ToDictionary(t => t, t => Money.FromNanoUsd(all.SpendByTier.GetValueOrDefault(t))),
            tiers.ToDictionary(t => t, t => all.RequestsByTier.GetValueOrDefault(t)),
            all.Latency.Percentile(0.50),
            all.Latency.Percentile(0.95));
    }

    public async Task<HeadlineFigures> HeadlinesAsync(MetricsRange range, MetricsFilter filter, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var day = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        var month = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        var previousMonth = month.AddMonths(-1);
        var intoMonth = now - month;
        var previousMonthEnd = previousMonth + intoMonth < month ? previousMonth + intoMonth : month;
        await using var connection = await OpenAsync(cancellationToken);
        return new HeadlineFigures(
            await ToDateAsync(connection, day, now, filter, cancellationToken),
            await SumAsync(connection, "HourRollups", day.AddDays(-1), now.AddDays(-1), filter, cancellationToken),
            await ToDateAsync(connection, month, now, filter, cancellationToken),
            await SumAsync(connection, "HourRollups", previousMonth, previousMonthEnd, filter, cancellationToken),
            await RangeTotalsAsync(connection, range, now, filter, cancellationToken),
            await SumAsync(connection, Table(range), range.Previous.From, range.Previous.To, filter, cancellationToken),
            range.Describe());
    }

    /// <summary>The minute rollups summed from <paramref name="from"/> to <paramref name="to"/>, for windows that are not a dashboard range.</summary>
    public async Task<MetricsTotals> TotalsAsync(DateTimeOffset from, DateTimeOffset to, MetricsFilter filter, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await SumAsync(connection, "MinuteRollups", from, to, filter, cancellationToken);
    }

    public async Task<IReadOnlyList<MetricsExportRow>> ExportAsync(MetricsRange range, MetricsFilter filter, CancellationToken cancellationToken = default)
    {
        var groups = new SortedDictionary<(long Start, string Tier, string Model), Accumulator>();
        var bucketMs = (long)range.Bucket.TotalMilliseconds;
        await ReadAsync(range, filter, row =>
        {
            var key = (RollupGrid.Floor(row.Start, bucketMs), row.Tier ?? "", row.Model ?? "");
            if (!groups.TryGetValue(key, out var group))
            {
                group = new Accumulator();
                groups[key] = group;
            }

            group.Add(row);
        }, cancellationToken);

        return [.. groups.Select(g => new MetricsExportRow(
            DateTimeOffset.FromUnixTimeMilliseconds(g.Key.Start),
            g.Key.Tier.Length == 0 ? null : g.Key.Tier,
            g.Key.Model.Length == 0 ? null : g.Key.Model,
            g.Value.Totals(),
            g.Value.Latency.Percentile(0.50),
            g.Value.Latency.Percentile(0.95)))];
    }

    public async Task<MetricsChoices> ChoicesAsync(CancellationToken cancellationToken = default)
    {
        var snapshot = routing.Current;
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var keys = await db.ApiKeys.AsNoTracking().OrderBy(k => k.Name).Select(k => new { k.Id, k.Name }).ToListAsync(cancellationToken);
        var models = await db.HourRollups.AsNoTracking().Where(r => r.Model != null).Select(r => r.Model!).Distinct().ToListAsync(cancellationToken);
        var rules = await db.HourRollups.AsNoTracking().Where(r => r.Rule != null).Select(r => r.Rule!).Distinct().ToListAsync(cancellationToken);
        var tiers = await db.HourRollups.AsNoTracking().Where(r => r.Tier != null).Select(r => r.Tier!).Distinct().ToListAsync(cancellationToken);
        var keyTeams = await db.ApiKeys.AsNoTracking().Where(k => k.Team != null && k.Team != "").Select(k => k.Team!).Distinct().ToListAsync(cancellationToken);
        var rollupTeams = await db.HourRollups.AsNoTracking().Where(r => r.Team != null).Select(r => r.Team!).Distinct().ToListAsync(cancellationToken);
        return new MetricsChoices(
            [.. keys.Select(k => (k.Id, k.Name))],
            [.. snapshot.Tiers.Concat(tiers.Order(StringComparer.Ordinal)).Distinct()],
            [.. snapshot.Models.Select(m => m.Key).Concat(models).Distinct().Order(StringComparer.Ordinal)],
            [.. snapshot.RuleNames.Concat(rules.Order(StringComparer.Ordinal)).Distinct()])
        {
            Teams = [.. keyTeams.Concat(rollupTeams).Distinct().Order(StringComparer.Ordinal)],
        };
    }

    /// <summary>Refuses filter values that name nothing the console knows, so a typo does not read as "no traffic".</summary>
    /// <param name="listKnown">Name the known values in the message: for the console, not for API-key holders.</param>
    public async Task ValidateAsync(MetricsFilter filter, CancellationToken cancellationToken = default, bool listKnown = true)
    {
        if (filter.IsEmpty)
        {
            return;
        }

        var choices = await ChoicesAsync(cancellationToken);
        if (filter.ApiKeyId is { } key && choices.Keys.All(k => k.Id != key))
        {
            throw new MetricsInputException($"There is no API key with id {key}.");
        }

        if (filter is { ApiKeyId: { } teamKey, Team: { } team })
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            if (!await db.ApiKeys.AnyAsync(k => k.Id == teamKey && k.Team == team, cancellationToken))
            {
                throw new MetricsInputException($"There is no API key with id {teamKey} in team '{team}'. This key reads its own team's spend only.");
            }
        }

        if (listKnown)
        {
            Check(filter.Team, [.. choices.Teams, MetricsFilter.NoTeam], "team");
        }

        Check(filter.Tier, choices.Tiers, "tier");
        Check(filter.Model, choices.Models, "model");
        Check(filter.Rule, choices.Rules, "rule");

        void Check(string? value, IReadOnlyList<string> known, string name)
        {
            if (value is not null && !known.Contains(value))
            {
                throw new MetricsInputException(listKnown ? $"Unknown {name} '{value}'. Known: {string.Join(", ", known)}." : $"Unknown {name} '{value}'.");
            }
        }
    }

    /// <summary>True once anything at all has been recorded.</summary>
    public async Task<bool> AnyTrafficAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.RequestLog.AnyAsync(cancellationToken);
    }

    private static string Table(MetricsRange range) => range.UsesHours ? "HourRollups" : "MinuteRollups";

    private async Task ReadAsync(MetricsRange range, MetricsFilter filter, Action<RollupRow> each, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        using var command = connection.CreateCommand();
        var bucketMs = (long)range.Bucket.TotalMilliseconds;
        var sql = new StringBuilder($"SELECT {RollupColumns} FROM \"{Table(range)}\" WHERE \"Start\" >= @from AND \"Start\" < @to");
        command.With("from", RollupGrid.Floor(range.From.ToUnixTimeMilliseconds(), bucketMs));
        command.With("to", range.To.ToUnixTimeMilliseconds());
        AddFilter(command, sql, filter);
        command.CommandText = sql.ToString();
        using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (reader.Read())
        {
            each(ReadRow(reader));
        }
    }

    private static async Task<MetricsTotals> SumAsync(DbConnection connection, string table, DateTimeOffset from, DateTimeOffset to, MetricsFilter filter, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        var period = table == "HourRollups" ? RollupGrid.HourMs : RollupGrid.MinuteMs;
        var sql = new StringBuilder("""
            SELECT CAST(COALESCE(SUM("Requests"),0) AS BIGINT), CAST(COALESCE(SUM("Answered"),0) AS BIGINT), CAST(COALESCE(SUM("Failed"),0) AS BIGINT), CAST(COALESCE(SUM("Rejected"),0) AS BIGINT),
                   CAST(COALESCE(SUM("FallbackRequests"),0) AS BIGINT), CAST(COALESCE(SUM("Fallbacks"),0) AS BIGINT), CAST(COALESCE(SUM("Escalations"),0) AS BIGINT),
                   CAST(COALESCE(SUM("PromptTokens"),0) AS BIGINT), CAST(COALESCE(SUM("CompletionTokens"),0) AS BIGINT), CAST(COALESCE(SUM("CostNanoUsd"),0) AS BIGINT), CAST(COALESCE(SUM("BaselineCostNanoUsd"),0) AS BIGINT),
                   CAST(COALESCE(SUM("EscalatedRequests"),0) AS BIGINT), CAST(COALESCE(SUM("EscalationCostNanoUsd"),0) AS BIGINT),
                   CAST(COALESCE(SUM("CachedTokens"),0) AS BIGINT)
            """);
        sql.Append($" FROM \"{table}\" WHERE \"Start\" >= @from AND \"Start\" < @to");
        command.With("from", RollupGrid.Floor(from.ToUnixTimeMilliseconds(), period));
        command.With("to", to.ToUnixTimeMilliseconds());
        AddFilter(command, sql, filter);
        command.CommandText = sql.ToString();
        using var r = await command.ExecuteReaderAsync(cancellationToken);
        r.Read();
        return new MetricsTotals(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6), r.GetInt64(7), r.GetInt64(8), r.GetInt64(9), r.GetInt64(10), r.GetInt64(11), r.GetInt64(12), r.GetInt64(13));
    }

    /// <summary>
    /// Today's or this month's totals as the ledger holds them now: the rollups for what is older than the late-arrival
    /// margin (complete by then), the ledger itself for the last minutes, which the rollups may not have folded in yet.
    /// So the cards count a request as soon as it is committed, as the live line does, without waiting for a flush.
    /// </summary>
    private static Task<MetricsTotals> ToDateAsync(DbConnection connection, DateTimeOffset start, DateTimeOffset now, MetricsFilter filter, CancellationToken cancellationToken) =>
        UpToNowAsync(connection, "HourRollups", start, null, now, filter, cancellationToken);

    /// <summary>
    /// A range's totals. A range that runs to now is read as <see cref="ToDateAsync"/> reads today, so its cards count a
    /// request the moment it is committed instead of after the rollups' next flush (the page is read once, and a request
    /// sent just before it would be missing until a reload). A range that ended before that margin is the rollups' alone.
    /// </summary>
    private static async Task<MetricsTotals> RangeTotalsAsync(DbConnection connection, MetricsRange range, DateTimeOffset now, MetricsFilter filter, CancellationToken cancellationToken) =>
        range.To.ToUnixTimeMilliseconds() <= Cut(now)
            ? await SumAsync(connection, Table(range), range.From, range.To, filter, cancellationToken)
            : await UpToNowAsync(connection, Table(range), range.From, range.To, now, filter, cancellationToken);

    /// <summary>Where the rollups are complete: the minute the late-arrival margin before <paramref name="now"/> begins.</summary>
    private static long Cut(DateTimeOffset now) => RollupGrid.Floor((now - RollupStore.LateArrival).ToUnixTimeMilliseconds(), RollupGrid.MinuteMs);

    /// <summary>
    /// The rows from <paramref name="from"/> (to <paramref name="to"/>, or all): <paramref name="table"/>'s rollups up
    /// to the last whole period before the <see cref="Cut"/>, the minute rollups from there to the cut, the ledger since.
    /// </summary>
    private static async Task<MetricsTotals> UpToNowAsync(DbConnection connection, string table, DateTimeOffset from, DateTimeOffset? to, DateTimeOffset now, MetricsFilter filter, CancellationToken cancellationToken)
    {
        var period = table == "HourRollups" ? RollupGrid.HourMs : RollupGrid.MinuteMs;
        var fromMs = RollupGrid.Floor(from.ToUnixTimeMilliseconds(), period);
        var cut = Math.Max(fromMs, Cut(now));
        var boundary = Math.Max(fromMs, RollupGrid.Floor(cut, period));
        var head = boundary > fromMs ? await SumAsync(connection, table, from, DateTimeOffset.FromUnixTimeMilliseconds(boundary), filter, cancellationToken) : MetricsTotals.Empty;
        var minutes = cut > boundary ? await SumAsync(connection, "MinuteRollups", DateTimeOffset.FromUnixTimeMilliseconds(boundary), DateTimeOffset.FromUnixTimeMilliseconds(cut), filter, cancellationToken) : MetricsTotals.Empty;
        return Add(Add(head, minutes), await LedgerSinceAsync(connection, cut, filter, cancellationToken, to?.ToUnixTimeMilliseconds()));
    }

    /// <summary>The ledger's own rows from <paramref name="fromMs"/> on (before <paramref name="toMs"/>), summed as the rollups sum them.</summary>
    private static async Task<MetricsTotals> LedgerSinceAsync(DbConnection connection, long fromMs, MetricsFilter filter, CancellationToken cancellationToken, long? toMs = null)
    {
        using var command = connection.CreateCommand();
        var sql = new StringBuilder($"""
            SELECT CAST(COUNT(*) AS BIGINT),
                   CAST(COALESCE(SUM(CASE WHEN "Status" = {(int)LedgerStatus.Answered} THEN 1 ELSE 0 END),0) AS BIGINT),
                   CAST(COALESCE(SUM(CASE WHEN "Status" = {(int)LedgerStatus.Failed} THEN 1 ELSE 0 END),0) AS BIGINT),
                   CAST(COALESCE(SUM(CASE WHEN "Status" NOT IN ({(int)LedgerStatus.Answered}, {(int)LedgerStatus.Failed}) THEN 1 ELSE 0 END),0) AS BIGINT),
                   CAST(COALESCE(SUM(CASE WHEN "Fallbacks" > 0 THEN 1 ELSE 0 END),0) AS BIGINT), CAST(COALESCE(SUM("Fallbacks"),0) AS BIGINT),
                   CAST(COALESCE(SUM("Escalations"),0) AS BIGINT),
                   CAST(COALESCE(SUM("PromptTokens"),0) AS BIGINT), CAST(COALESCE(SUM("CompletionTokens"),0) AS BIGINT),
                   CAST(COALESCE(SUM("CostNanoUsd"),0) AS BIGINT), CAST(COALESCE(SUM("BaselineCostNanoUsd"),0) AS BIGINT),
                   CAST(COALESCE(SUM(CASE WHEN "Escalations" > 0 THEN 1 ELSE 0 END),0) AS BIGINT), CAST(COALESCE(SUM("EscalationCostNanoUsd"),0) AS BIGINT),
                   CAST(COALESCE(SUM("CachedTokens"),0) AS BIGINT)
            FROM "RequestLog" WHERE "Timestamp" >= @from
            """);
        command.With("from", fromMs);
        if (toMs is { } to)
        {
            sql.Append(""" AND "Timestamp" < @to""");
            command.With("to", to);
        }

        AddFilter(command, sql, filter);
        command.CommandText = sql.ToString();
        using var r = await command.ExecuteReaderAsync(cancellationToken);
        r.Read();
        return new MetricsTotals(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6), r.GetInt64(7), r.GetInt64(8), r.GetInt64(9), r.GetInt64(10), r.GetInt64(11), r.GetInt64(12), r.GetInt64(13));
    }

    private static MetricsTotals Add(MetricsTotals a, MetricsTotals b) => new(
        a.Requests + b.Requests, a.Answered + b.Answered, a.Failed + b.Failed, a.Rejected + b.Rejected, a.FallbackRequests + b.FallbackRequests,
        a.Fallbacks + b.Fallbacks, a.Escalations + b.Escalations, a.PromptTokens + b.PromptTokens, a.CompletionTokens + b.CompletionTokens,
        a.CostNanoUsd + b.CostNanoUsd, a.BaselineCostNanoUsd + b.BaselineCostNanoUsd, a.EscalatedRequests + b.EscalatedRequests,
        a.EscalationCostNanoUsd + b.EscalationCostNanoUsd, a.CachedTokens + b.CachedTokens);

    private static void AddFilter(DbCommand command, StringBuilder sql, MetricsFilter filter)
    {
        if (filter.Team == MetricsFilter.NoTeam)
        {
            // The rows no team is counted for, as LedgerRows.OfTeam selects them.
            sql.Append(""" AND "Team" IS NULL AND ("ApiKeyId" IS NULL OR "ApiKeyId" NOT IN (SELECT "Id" FROM "ApiKeys" WHERE "Team" IS NOT NULL AND "Team" <> ''))""");
        }
        else if (filter.Team is { } team)
        {
            // Rows carry the team their key had when the request was recorded; rows from before teams were recorded
            // count for the team their key has now (LedgerRows.OfTeam for the ledger's own queries).
            sql.Append(""" AND ("Team" = @team OR ("Team" IS NULL AND "ApiKeyId" IN (SELECT "Id" FROM "ApiKeys" WHERE "Team" = @team)))""");
            command.With("team", team);
        }

        if (filter.ApiKeyId is { } key)
        {
            sql.Append(""" AND "ApiKeyId" = @key""");
            command.With("key", key);
        }

        if (filter.Tier is { } tier)
        {
            sql.Append(""" AND "Tier" = @tier""");
            command.With("tier", tier);
        }

        if (filter.Model is { } model)
        {
            sql.Append(""" AND "Model" = @model""");
            command.With("model", model);
        }

        if (filter.Rule is { } rule)
        {
            sql.Append(""" AND "Rule" = @rule""");
            command.With("rule", rule);
        }
    }

    private const string RollupColumns = """ "Start", "Tier", "Model", "Requests", "Answered", "Failed", "Rejected", "FallbackRequests", "Fallbacks", "Escalations", "PromptTokens", "CompletionTokens", "CostNanoUsd", "BaselineCostNanoUsd", "LatencyHistogram", "EscalatedRequests", "EscalationCostNanoUsd", "CachedTokens" """;

    private static HourRollupRow ReadRow(DbDataReader r) => new()
    {
        Start = r.GetInt64(0),
        Tier = r.IsDBNull(1) ? null : r.GetString(1),
        Model = r.IsDBNull(2) ? null : r.GetString(2),
        Requests = r.GetInt64(3),
        Answered = r.GetInt64(4),
        Failed = r.GetInt64(5),
        Rejected = r.GetInt64(6),
        FallbackRequests = r.GetInt64(7),
        Fallbacks = r.GetInt64(8),
        Escalations = r.GetInt64(9),
        PromptTokens = r.GetInt64(10),
        CompletionTokens = r.GetInt64(11),
        CostNanoUsd = r.GetInt64(12),
        BaselineCostNanoUsd = r.GetInt64(13),
        LatencyHistogram = (byte[])r.GetValue(14),
        EscalatedRequests = r.GetInt64(15),
        EscalationCostNanoUsd = r.GetInt64(16),
        CachedTokens = r.GetInt64(17),
    };

    private Task<DbConnection> OpenAsync(CancellationToken cancellationToken) => database.OpenAsync(cancellationToken);

    private sealed class Accumulator
    {
        private long _requests, _answered, _failed, _rejected, _fallbackRequests, _fallbacks, _escalations, _prompt, _completion, _cost, _baseline, _escalated, _escalationCost, _cached;

        public Dictionary<string, long> SpendByTier { get; } = [];

        public Dictionary<string, long> RequestsByTier { get; } = [];

        public LatencyHistogram Latency { get; } = new();

        public void Add(RollupRow row)
        {
            _requests += row.Requests;
            _answered += row.Answered;
            _failed += row.Failed;
            _rejected += row.Rejected;
            _fallbackRequests += row.FallbackRequests;
            _fallbacks += row.Fallbacks;
            _escalations += row.Escalations;
            _escalated += row.EscalatedRequests;
            _escalationCost += row.EscalationCostNanoUsd;
            _prompt += row.PromptTokens;
            _cached += row.CachedTokens;
            _completion += row.CompletionTokens;
            _cost += row.CostNanoUsd;
            _baseline += row.BaselineCostNanoUsd;
            if (row.Tier is { } tier)
            {
                SpendByTier[tier] = SpendByTier.GetValueOrDefault(tier) + row.CostNanoUsd;
                RequestsByTier[tier] = RequestsByTier.GetValueOrDefault(tier) + row.Requests;
            }

            Latency.Merge(row.LatencyHistogram);
        }

        public MetricsTotals Totals() => new(_requests, _answered, _failed, _rejected, _fallbackRequests, _fallbacks, _escalations, _prompt, _completion, _cost, _baseline, _escalated, _escalationCost, _cached);
    }
}
