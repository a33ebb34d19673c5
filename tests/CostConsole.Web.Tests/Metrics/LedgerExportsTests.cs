using System.Globalization;
using System.Text.Json;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Web.Metrics;
using CostConsole.Web.Tests.Infrastructure;
using CsvHelper;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Tests.Metrics;

/// <summary>The FOCUS and chargeback files against a ledger whose figures were worked out by hand.</summary>
public sealed class LedgerExportsTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Day1 = new(2026, 11, 10, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The price of the model changed at noon on the first day.</summary>
    private static readonly DateTimeOffset PriceChange = Day1.AddHours(12);

    private CatalogueDatabase _database = null!;
    private string _model = null!;
    private string _provider = null!;
    private long _oldPrice;
    private long _newPrice;
    private long _support;
    private long _finance;

    private LedgerExports Exports => new(_database.Factory);

    public async ValueTask InitializeAsync()
    {
        _database = await CatalogueDatabase.CreateAsync();
        await using var db = await _database.Factory.CreateDbContextAsync();
        var model = await db.Models.Include(m => m.Provider).OrderBy(m => m.Id).FirstAsync();
        _provider = model.Provider!.Name;
        _model = _provider + "/" + model.ModelId;
        db.ModelPrices.RemoveRange(db.ModelPrices.Where(p => p.ModelId == model.Id));
        var oldPrice = new ModelPriceEntity { ModelId = model.Id, EffectiveFrom = Day1.AddDays(-30), InputPerMillion = 1, OutputPerMillion = 2, CreatedAt = Day1 };
        var newPrice = new ModelPriceEntity { ModelId = model.Id, EffectiveFrom = PriceChange, InputPerMillion = 2, OutputPerMillion = 4, CreatedAt = Day1 };
        var support = Key("support-bot", "support");
        var finance = Key("billing", "finance");
        db.AddRange(oldPrice, newPrice, support, finance);
        await db.SaveChangesAsync();
        (_oldPrice, _newPrice, _support, _finance) = (oldPrice.Id, newPrice.Id, support.Id, finance.Id);

        db.RequestLog.AddRange(
            Row(_support, Day1.AddHours(1), _model, "small", "faq", 1.00m, 4.00m, 100, 20),
            Row(_support, Day1.AddHours(2), _model, "small", "faq", 0.50m, 2.00m, 50, 10),
            Row(_support, Day1.AddHours(13), _model, "small", "faq", 0.25m, 1.00m, 30, 5),
            Row(_finance, Day1.AddHours(5), _model, "large", "default", 2.00m, 1.50m, 400, 200),
            Row(_finance, Day1.AddDays(1).AddHours(3), _model, "large", "default", 0.75m, 0.75m, 10, 10, batch: "batch_1"),
            Row(null, Day1.AddHours(6), null, null, null, 0m, 0m, 0, 0),

            // Outside the two days.
            Row(_support, Day1.AddDays(2), _model, "small", "faq", 9.00m, 9.00m, 1, 1),
            Row(_support, Day1.AddTicks(-1), _model, "small", "faq", 9.00m, 9.00m, 1, 1));
        await db.SaveChangesAsync();
    }

    public async ValueTask DisposeAsync() => await _database.DisposeAsync();

    private static ApiKeyEntity Key(string name, string team) => new()
    {
        Name = name,
        Team = team,
        Prefix = "cc-" + name[..3],
        Hash = Guid.NewGuid().ToString("N"),
        CreatedAt = Day1.AddDays(-40),
    };

    private static RequestLogRow Row(long? key, DateTimeOffset at, string? model, string? tier, string? rule, decimal cost, decimal baseline, long prompt, long completion, string? batch = null) => new()
    {
        RequestId = "req_" + Guid.NewGuid().ToString("N"),
        Timestamp = at,
        ApiKeyId = key,
        Model = model,
        Provider = model?.Split('/')[0],
        Tier = tier,
        Rule = rule,
        BatchId = batch,
        PromptTokens = prompt,
        CompletionTokens = completion,
        CostNanoUsd = Money.ToNanoUsd(cost),
        BaselineCostNanoUsd = Money.ToNanoUsd(baseline),
        HttpStatus = 200,
    };

    private async Task<(ExportTotals Totals, List<Dictionary<string, string>> Rows, string[] Header)> FocusAsync(string? team = null)
    {
        var writer = new StringWriter();
        var totals = await Exports.WriteFocusAsync(writer, Day1, Day1.AddDays(2), team, TestContext.Current.CancellationToken);
        var (header, rows) = Read(writer.ToString());
        return (totals, rows, header);
    }

    private static (string[] Header, List<Dictionary<string, string>> Rows) Read(string text)
    {
        using var csv = new CsvReader(new StringReader(text), CultureInfo.InvariantCulture);
        csv.Read();
        csv.ReadHeader();
        var header = csv.HeaderRecord!;
        var rows = new List<Dictionary<string, string>>();
        while (csv.Read())
        {
            rows.Add(header.ToDictionary(h => h, h => csv.GetField(h)!));
        }

        return (header, rows);
    }

    private static decimal Number(string text) => decimal.Parse(text, NumberStyles.Number, CultureInfo.InvariantCulture);

    [Fact]
    public async Task The_focus_file_has_every_mandatory_column_of_1_2_with_its_type_and_adds_up_to_the_ledger()
    {
        var (totals, rows, header) = await FocusAsync();

        string[] mandatory =
        [
            "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory",
            "ChargeClass", "ChargeDescription", "ChargePeriodEnd", "ChargePeriodStart", "ContractedCost", "EffectiveCost", "InvoiceIssuerName",
            "ListCost", "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName", "ServiceCategory", "ServiceName",
        ];
        Assert.Equal(mandatory, header.Take(21));
        Assert.All(header.Skip(21).Where(h => h.StartsWith('x')), h => Assert.StartsWith("x_", h, StringComparison.Ordinal));

        // Six requests in the two days: 1.00 + 0.50 + 0.25 + 2.00 + 0.75 + 0 = 4.50, baseline 9.25.
        Assert.Equal((6L, 4.50m, 9.25m), (totals.Requests, Money.FromNanoUsd(totals.CostNanoUsd), Money.FromNanoUsd(totals.BaselineCostNanoUsd)));
        Assert.Equal(totals.Rows, rows.Count);
        Assert.Equal(4.50m, rows.Sum(r => Number(r["BilledCost"])));
        Assert.Equal(6, rows.Sum(r => int.Parse(r["x_Requests"], CultureInfo.InvariantCulture)));
        foreach (var row in rows)
        {
            Assert.Equal(row["BilledCost"], row["EffectiveCost"]);
            Assert.Equal(row["BilledCost"], row["ListCost"]);
            Assert.Equal(row["BilledCost"], row["ContractedCost"]);
            Assert.Equal("USD", row["BillingCurrency"]);
            Assert.Equal("Usage", row["ChargeCategory"]);
            Assert.Equal("AI and Machine Learning", row["ServiceCategory"]);
            Assert.False(string.IsNullOrEmpty(row["ProviderName"]));
            foreach (var column in new[] { "ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "BillingPeriodEnd" })
            {
                Assert.True(DateTimeOffset.TryParseExact(row[column], "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _), $"{column}: {row[column]}");
            }

            Assert.Equal("2026-11-01T00:00:00Z", row["BillingPeriodStart"]);
            Assert.Equal("2026-12-01T00:00:00Z", row["BillingPeriodEnd"]);
        }
    }

    [Fact]
    public async Task Each_line_is_one_day_provider_model_key_tier_rule_and_price_version_with_savings_as_a_number()
    {
        var (_, rows, _) = await FocusAsync();

        var supportDay1 = rows.Where(r => r["SubAccountName"] == "support-bot").ToList();
        Assert.Equal(2, supportDay1.Count);
        var beforeChange = supportDay1.Single(r => r["SkuPriceId"] == _oldPrice.ToString(CultureInfo.InvariantCulture));
        var afterChange = supportDay1.Single(r => r["SkuPriceId"] == _newPrice.ToString(CultureInfo.InvariantCulture));
        Assert.Equal((1.50m, 2, 180m), (Number(beforeChange["BilledCost"]), int.Parse(beforeChange["x_Requests"], CultureInfo.InvariantCulture), Number(beforeChange["ConsumedQuantity"])));
        Assert.Equal(4.50m, Number(beforeChange["x_Savings"]));
        Assert.Equal((0.25m, "2026-11-10T12:00:00Z"), (Number(afterChange["BilledCost"]), afterChange["x_PriceEffectiveFrom"]));
        Assert.Equal(("2026-11-10T00:00:00Z", "2026-11-11T00:00:00Z"), (beforeChange["ChargePeriodStart"], beforeChange["ChargePeriodEnd"]));
        Assert.Equal((_model, _provider, "Tokens"), (beforeChange["SkuId"], beforeChange["ProviderName"], beforeChange["ConsumedUnit"]));

        using var tags = JsonDocument.Parse(beforeChange["Tags"]);
        Assert.Equal("small", tags.RootElement.GetProperty("costconsole/tier").GetString());
        Assert.Equal("faq", tags.RootElement.GetProperty("costconsole/rule").GetString());
        Assert.Equal("support", tags.RootElement.GetProperty("costconsole/team").GetString());

        // The large request cost more than the baseline (an escalation): the saving is a negative number, not text.
        var finance = rows.Single(r => r["SubAccountName"] == "billing" && r["x_Batch"] == "false");
        Assert.Equal("-0.5", finance["x_Savings"].TrimEnd('0'));

        var batch = rows.Single(r => r["x_Batch"] == "true");
        Assert.Equal("2026-11-11T00:00:00Z", batch["ChargePeriodStart"]);
        Assert.Contains("batch price", batch["ChargeDescription"], StringComparison.Ordinal);

        // The refused request reached no provider: it is listed at no cost and without a quantity.
        var refused = rows.Single(r => r["ResourceId"] == "");
        Assert.Equal((0m, LedgerExports.NoProvider, ""), (Number(refused["BilledCost"]), refused["ProviderName"], refused["ConsumedQuantity"]));
    }

    [Fact]
    public async Task A_team_reads_only_its_own_keys_lines()
    {
        var (totals, rows, _) = await FocusAsync(team: "finance");

        Assert.Equal(["billing"], rows.Select(r => r["SubAccountName"]).Distinct());
        Assert.Equal((2L, 2.75m), (totals.Requests, Money.FromNanoUsd(totals.CostNanoUsd)));
    }

    [Fact]
    public async Task Chargeback_lists_spend_per_team_and_key_per_day_or_month_with_the_price_versions_used()
    {
        var ct = TestContext.Current.CancellationToken;
        var daily = new StringWriter();
        var monthly = new StringWriter();

        await Exports.WriteChargebackAsync(daily, Day1, Day1.AddDays(2), ChargebackPeriod.Day, null, ct);
        await Exports.WriteChargebackAsync(monthly, Day1, Day1.AddDays(2), ChargebackPeriod.Month, null, ct);

        var (header, days) = Read(daily.ToString());
        Assert.Equal(LedgerExports.ChargebackColumns, header);
        var supportDay = days.Single(r => r["key"] == "support-bot");
        Assert.Equal(("support", "3", 1.75m, 5.25m), (supportDay["team"], supportDay["requests"], Number(supportDay["spend_usd"]), Number(supportDay["savings_usd"])));
        Assert.Contains($"(#{_oldPrice})", supportDay["price_versions"], StringComparison.Ordinal);
        Assert.Contains($"(#{_newPrice})", supportDay["price_versions"], StringComparison.Ordinal);
        Assert.Equal(["2026-11-10T00:00:00Z", "2026-11-11T00:00:00Z"], days.Where(r => r["key"] == "billing").Select(r => r["period_start_utc"]));
        Assert.Equal(4.50m, days.Sum(r => Number(r["spend_usd"])));

        var (_, months) = Read(monthly.ToString());
        var billing = months.Single(r => r["key"] == "billing");
        Assert.Equal(("2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z", "2", 2.75m), (billing["period_start_utc"], billing["period_end_utc"], billing["requests"], Number(billing["spend_usd"])));
        Assert.Equal("No key", months.Single(r => r["key_id"] == "")["key"]);
    }

    [Fact]
    public async Task Chargeback_has_a_line_per_end_user_of_a_key_and_a_line_for_its_requests_without_one()
    {
        var ct = TestContext.Current.CancellationToken;
        var day = Day1.AddDays(5);
        await using (var db = await _database.Factory.CreateDbContextAsync(ct))
        {
            var alice = Row(_support, day.AddHours(1), _model, "small", "faq", 1.00m, 2.00m, 10, 10);
            var aliceAgain = Row(_support, day.AddHours(2), _model, "small", "faq", 0.50m, 1.00m, 10, 10);
            var formula = Row(_support, day.AddHours(3), _model, "small", "faq", 0.25m, 1.00m, 10, 10);
            (alice.EndUser, aliceAgain.EndUser, formula.EndUser) = ("alice", "alice", "=HYPERLINK(\"x\")");
            db.RequestLog.AddRange(alice, aliceAgain, formula, Row(_support, day.AddHours(4), _model, "small", "faq", 2.00m, 2.00m, 10, 10));
            await db.SaveChangesAsync(ct);
        }

        var writer = new StringWriter();
        await Exports.WriteChargebackAsync(writer, day, day.AddDays(1), ChargebackPeriod.Day, null, ct);

        var (_, rows) = Read(writer.ToString());
        Assert.Equal([("", "1", 2.00m), ("'=HYPERLINK(\"x\")", "1", 0.25m), ("alice", "2", 1.50m)], rows.Select(r => (r["end_user"], r["requests"], Number(r["spend_usd"]))));
        Assert.All(rows, r => Assert.Equal("support-bot", r["key"]));
    }

    [Fact]
    public async Task A_range_without_requests_writes_the_header_only()
    {
        var writer = new StringWriter();

        var totals = await Exports.WriteFocusAsync(writer, Day1.AddDays(10), Day1.AddDays(11), null, TestContext.Current.CancellationToken);

        Assert.Equal(0, totals.Rows);
        var (header, rows) = Read(writer.ToString());
        Assert.Equal(LedgerExports.FocusColumns, header);
        Assert.Empty(rows);
    }
}
