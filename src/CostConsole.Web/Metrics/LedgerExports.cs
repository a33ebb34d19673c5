using System.Globalization;
using System.Text.Json;
using CostConsole.Data;
using CostConsole.Web.Catalogue;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Metrics;

/// <summary>How a chargeback file groups time: one row per team, key and end user per UTC day or per calendar month.</summary>
public enum ChargebackPeriod
{
    Day,
    Month,
}

/// <summary>What an export wrote: its data rows and the sums of the ledger rows behind them.</summary>
public sealed record ExportTotals(long Rows, long Requests, long CostNanoUsd, long BaselineCostNanoUsd);

/// <summary>
/// Files for finance, streamed from the ledger in time order so a month of millions of requests is written with only
/// one period's groups in memory: a FOCUS 1.2 cost and usage file and a chargeback file per team, key and end user. Every ledger
/// row of the range is in exactly one line, so the files' totals equal the ledger's (and the dashboard's).
/// </summary>
internal sealed class LedgerExports(IDbContextFactory<CostConsoleDbContext> factory)
{
    /// <summary>The FOCUS version the cost and usage file follows.</summary>
    public const string FocusVersion = "1.2";

    /// <summary>The provider name of ledger rows that never reached a provider (refused before routing, answered from the cache).</summary>
    public const string NoProvider = "CostConsole";

    /// <summary>
    /// The 21 columns FOCUS 1.2 makes mandatory (alphabetical, as the specification lists them), then the conditional
    /// and recommended ones CostConsole can fill, then its own, prefixed <c>x_</c> as the specification requires of
    /// custom columns.
    /// </summary>
    public static readonly IReadOnlyList<string> FocusColumns =
    [
        "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart",
        "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargePeriodEnd", "ChargePeriodStart", "ContractedCost",
        "EffectiveCost", "InvoiceIssuerName", "ListCost", "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName",
        "ServiceCategory", "ServiceName",
        "ChargeFrequency", "ConsumedQuantity", "ConsumedUnit", "PricingCategory", "ResourceId", "ResourceName", "ResourceType",
        "ServiceSubcategory", "SkuId", "SkuPriceId", "SubAccountId", "SubAccountName", "Tags",
        "x_BaselineCost", "x_Savings", "x_QualityControlCost", "x_Requests", "x_InputTokens", "x_CachedInputTokens",
        "x_CacheWriteTokens", "x_OutputTokens", "x_Tier", "x_Rule", "x_Team", "x_Batch", "x_PriceEffectiveFrom",
    ];

    public static readonly IReadOnlyList<string> ChargebackColumns =
    [
        "period_start_utc", "period_end_utc", "team", "key_id", "key", "end_user", "requests", "spend_usd", "baseline_usd", "savings_usd",
        "input_tokens", "output_tokens", "price_versions",
    ];

    private const string Currency = "USD";

    /// <summary>Writes the FOCUS file: one line per UTC day × provider × model × key × tier × rule × price version (× batch or not).</summary>
    public async Task<ExportTotals> WriteFocusAsync(TextWriter writer, DateTimeOffset from, DateTimeOffset to, string? team, CancellationToken cancellationToken)
    {
        var context = await LoadContextAsync(cancellationToken);
        return await WriteAsync(writer, FocusColumns, from, to, team, context, StartOfDay, r => new GroupKey(
            r.Provider ?? NoProvider, r.Model, r.ApiKeyId, r.Tier, r.Rule, context.PriceVersion(r.Model, r.Timestamp), r.BatchId is not null, null),
            (start, key, sums) => FocusLine(start, start.AddDays(1), key, sums, context), cancellationToken);
    }

    /// <summary>Writes the chargeback file: one line per period × team × key × end user, with the price versions its requests were charged at.</summary>
    public async Task<ExportTotals> WriteChargebackAsync(TextWriter writer, DateTimeOffset from, DateTimeOffset to, ChargebackPeriod period, string? team, CancellationToken cancellationToken)
    {
        var context = await LoadContextAsync(cancellationToken);
        Func<DateTimeOffset, DateTimeOffset> start = period == ChargebackPeriod.Day ? StartOfDay : StartOfMonth;
        return await WriteAsync(writer, ChargebackColumns, from, to, team, context, start,
            r => new GroupKey(null, null, r.ApiKeyId, null, null, context.PriceVersion(r.Model, r.Timestamp), false, r.EndUser),
            (periodStart, key, sums) => ChargebackLine(periodStart, period == ChargebackPeriod.Day ? periodStart.AddDays(1) : periodStart.AddMonths(1), key, sums, context),
            cancellationToken,
            mergePriceVersions: true);
    }

    public static ChargebackPeriod ParsePeriod(string? text) => text?.ToLowerInvariant() switch
    {
        null or "" or "day" => ChargebackPeriod.Day,
        "month" => ChargebackPeriod.Month,
        _ => throw new MetricsInputException($"Unknown period '{text}'. Use day or month."),
    };

    private static DateTimeOffset StartOfDay(DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        return new DateTimeOffset(utc.Year, utc.Month, utc.Day, 0, 0, 0, TimeSpan.Zero);
    }

    private static DateTimeOffset StartOfMonth(DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        return new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero);
    }

    private async Task<ExportTotals> WriteAsync(
        TextWriter writer,
        IReadOnlyList<string> header,
        DateTimeOffset from,
        DateTimeOffset to,
        string? team,
        ExportContext context,
        Func<DateTimeOffset, DateTimeOffset> periodOf,
        Func<LedgerLine, GroupKey> keyOf,
        Func<DateTimeOffset, GroupKey, GroupSums, IReadOnlyList<object?>> line,
        CancellationToken cancellationToken,
        bool mergePriceVersions = false)
    {
        await using var csv = Csv.Open(writer);
        await Csv.WriteRowAsync(csv, header);

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var query = db.RequestLog.AsNoTracking().Where(r => r.Timestamp >= from && r.Timestamp < to);
        if (team is not null)
        {
            // A reporting key of one team exports only its own team's keys.
            var keyIds = context.KeysOfTeam(team);
            query = query.Where(r => r.ApiKeyId != null && keyIds.Contains(r.ApiKeyId.Value));
        }

        var rows = query.OrderBy(r => r.Timestamp).Select(r => new LedgerLine
        {
            Timestamp = r.Timestamp,
            Provider = r.Provider,
            Model = r.Model,
            ApiKeyId = r.ApiKeyId,
            EndUser = r.EndUser,
            Tier = r.Tier,
            Rule = r.Rule,
            BatchId = r.BatchId,
            PromptTokens = r.PromptTokens,
            CachedTokens = r.CachedTokens,
            CacheWriteTokens = r.CacheWriteTokens,
            CompletionTokens = r.CompletionTokens,
            CostNanoUsd = r.CostNanoUsd,
            BaselineCostNanoUsd = r.BaselineCostNanoUsd,
            EscalationCostNanoUsd = r.EscalationCostNanoUsd,
        }).AsAsyncEnumerable();

        long lines = 0, requests = 0, cost = 0, baseline = 0;
        DateTimeOffset? period = null;
        var groups = new Dictionary<GroupKey, GroupSums>();

        async Task FlushAsync()
        {
            foreach (var (key, sums) in groups.OrderBy(g => g.Key.Provider, StringComparer.Ordinal)
                .ThenBy(g => g.Key.Model, StringComparer.Ordinal)
                .ThenBy(g => context.KeyName(g.Key.ApiKeyId), StringComparer.Ordinal)
                .ThenBy(g => g.Key.ApiKeyId)
                .ThenBy(g => g.Key.EndUser, StringComparer.Ordinal)
                .ThenBy(g => g.Key.Tier, StringComparer.Ordinal)
                .ThenBy(g => g.Key.Rule, StringComparer.Ordinal)
                .ThenBy(g => g.Key.PriceVersion)
                .ThenBy(g => g.Key.Batch))
            {
                await Csv.WriteRowAsync(csv, line(period!.Value, key, sums));
                lines++;
            }

            groups.Clear();
        }

        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            var rowPeriod = periodOf(row.Timestamp);
            if (period != rowPeriod)
            {
                if (period is not null)
                {
                    await FlushAsync();
                }

                period = rowPeriod;
            }

            var key = keyOf(row);
            if (mergePriceVersions)
            {
                // One chargeback line per team and key: the price versions it was charged at are listed in the line.
                var versions = key.PriceVersion;
                key = key with { PriceVersion = null };
                var merged = groups.TryGetValue(key, out var existing) ? existing : groups[key] = new GroupSums();
                merged.Add(row);
                if (versions is { } version)
                {
                    merged.PriceVersions.Add(version);
                }
            }
            else
            {
                var sums = groups.TryGetValue(key, out var existing) ? existing : groups[key] = new GroupSums();
                sums.Add(row);
            }

            requests++;
            cost += row.CostNanoUsd;
            baseline += row.BaselineCostNanoUsd;
        }

        if (period is not null)
        {
            await FlushAsync();
        }

        await csv.FlushAsync();
        return new ExportTotals(lines, requests, cost, baseline);
    }

    private static IReadOnlyList<object?> FocusLine(DateTimeOffset start, DateTimeOffset end, GroupKey key, GroupSums sums, ExportContext context)
    {
        var cost = Money.FromNanoUsd(sums.Cost);
        var (billingStart, billingEnd) = (StartOfMonth(start), StartOfMonth(start).AddMonths(1));
        var keyName = context.KeyName(key.ApiKeyId);
        var team = context.TeamOf(key.ApiKeyId);
        var price = key.PriceVersion is { } id ? context.Price(id) : null;
        var tokens = sums.PromptTokens + sums.CompletionTokens;
        var model = key.Model;
        var description = model is null
            ? "Requests answered without a model call (refused before routing or served from the response cache)"
            : $"{model} tokens" + (keyName is null ? "" : $" for key {keyName}") + (key.Tier is null ? "" : $", {key.Tier} tier") + (key.Batch ? ", batch price" : "");
        var tags = new SortedDictionary<string, string>(StringComparer.Ordinal);
        AddTag(tags, "costconsole/tier", key.Tier);
        AddTag(tags, "costconsole/rule", key.Rule);
        AddTag(tags, "costconsole/team", team);
        AddTag(tags, "costconsole/key", keyName);
        if (key.Batch)
        {
            tags["costconsole/batch"] = "true";
        }

        return
        [
            cost, key.Provider, key.Provider, Currency, Timestamp(billingEnd), Timestamp(billingStart),
            "Usage", null, description, Timestamp(end), Timestamp(start), cost,
            cost, key.Provider, cost, model is null ? null : tokens, model is null ? null : "Tokens", key.Provider, key.Provider,
            "AI and Machine Learning", key.Provider,
            "Usage-Based", model is null ? null : tokens, model is null ? null : "Tokens", model is null ? null : "Standard", model, model, model is null ? null : "Model",
            "Generative AI", model, key.PriceVersion?.ToString(CultureInfo.InvariantCulture),
            key.ApiKeyId?.ToString(CultureInfo.InvariantCulture), keyName, tags.Count == 0 ? null : JsonSerializer.Serialize(tags),
            Money.FromNanoUsd(sums.Baseline), Money.FromNanoUsd(sums.Baseline - sums.Cost), Money.FromNanoUsd(sums.QualityControl), sums.Requests,
            sums.PromptTokens, sums.CachedTokens, sums.CacheWriteTokens, sums.CompletionTokens, key.Tier, key.Rule, team, key.Batch ? "true" : "false",
            price is null ? null : Timestamp(price.Value.EffectiveFrom),
        ];
    }

    private static IReadOnlyList<object?> ChargebackLine(DateTimeOffset start, DateTimeOffset end, GroupKey key, GroupSums sums, ExportContext context) =>
    [
        Timestamp(start), Timestamp(end), context.TeamOf(key.ApiKeyId) ?? SpendReport.NoTeam, key.ApiKeyId?.ToString(CultureInfo.InvariantCulture),
        context.KeyName(key.ApiKeyId) ?? SpendReport.NoKey, key.EndUser, sums.Requests, Money.FromNanoUsd(sums.Cost), Money.FromNanoUsd(sums.Baseline),
        Money.FromNanoUsd(sums.Baseline - sums.Cost), sums.PromptTokens, sums.CompletionTokens,
        string.Join("; ", sums.PriceVersions.Order().Select(context.DescribePrice)),
    ];

    private static void AddTag(SortedDictionary<string, string> tags, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            tags[name] = value;
        }
    }

    private static string Timestamp(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private async Task<ExportContext> LoadContextAsync(CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var keys = await db.ApiKeys.AsNoTracking().Select(k => new KeyInfo(k.Id, k.Name, k.Team)).ToListAsync(cancellationToken);
        return new ExportContext(keys, await PriceVersions.LoadAsync(db, cancellationToken));
    }

    private sealed record KeyInfo(long Id, string Name, string? Team);

    /// <summary>Keys with their teams, and each model's price versions to find the one a request was charged at.</summary>
    private sealed class ExportContext(IReadOnlyList<KeyInfo> keys, PriceVersions prices)
    {
        private readonly Dictionary<long, KeyInfo> _keys = keys.ToDictionary(k => k.Id);

        public string? KeyName(long? id) => id is { } k && _keys.TryGetValue(k, out var key) ? key.Name : null;

        public string? TeamOf(long? id) => id is { } k && _keys.TryGetValue(k, out var key) && !string.IsNullOrWhiteSpace(key.Team) ? key.Team : null;

        public List<long> KeysOfTeam(string team) => [.. _keys.Values.Where(k => string.Equals(k.Team ?? "", team, StringComparison.Ordinal)).Select(k => k.Id)];

        public PriceVersion? Price(long id) => prices.Find(id);

        public string DescribePrice(long id) => prices.Find(id) is { } p
            ? $"{p.Price.ModelKey} from {Timestamp(p.EffectiveFrom)} (#{p.Id})"
            : $"#{id}";

        /// <summary>The price version in force for the model when the request was made: the latest that took effect at or before it.</summary>
        public long? PriceVersion(string? model, DateTimeOffset at) => prices.At(model, at)?.Id;
    }

    private readonly record struct GroupKey(string? Provider, string? Model, long? ApiKeyId, string? Tier, string? Rule, long? PriceVersion, bool Batch, string? EndUser);

    private sealed class LedgerLine
    {
        public DateTimeOffset Timestamp { get; init; }

        public string? Provider { get; init; }

        public string? Model { get; init; }

        public long? ApiKeyId { get; init; }

        public string? EndUser { get; init; }

        public string? Tier { get; init; }

        public string? Rule { get; init; }

        public string? BatchId { get; init; }

        public long PromptTokens { get; init; }

        public long CachedTokens { get; init; }

        public long CacheWriteTokens { get; init; }

        public long CompletionTokens { get; init; }

        public long CostNanoUsd { get; init; }

        public long BaselineCostNanoUsd { get; init; }

        public long EscalationCostNanoUsd { get; init; }
    }

    private sealed class GroupSums
    {
        public long Requests { get; private set; }

        public long PromptTokens { get; private set; }

        public long CachedTokens { get; private set; }

        public long CacheWriteTokens { get; private set; }

        public long CompletionTokens { get; private set; }

        public long Cost { get; private set; }

        public long Baseline { get; private set; }

        public long QualityControl { get; private set; }

        public HashSet<long> PriceVersions { get; } = [];

        public void Add(LedgerLine row)
        {
            Requests++;
            PromptTokens += row.PromptTokens;
            CachedTokens += row.CachedTokens;
            CacheWriteTokens += row.CacheWriteTokens;
            CompletionTokens += row.CompletionTokens;
            Cost += row.CostNanoUsd;
            Baseline += row.BaselineCostNanoUsd;
            QualityControl += row.EscalationCostNanoUsd;
        }
    }
}
