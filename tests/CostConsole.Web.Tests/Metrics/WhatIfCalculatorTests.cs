using CostConsole.Data;
using CostConsole.Data.Catalogue;
using CostConsole.Data.Entities;
using CostConsole.Routing.Decisions;
using CostConsole.Web.Metrics;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Tests.Metrics;

/// <summary>The what-if calculator against prices and a mix whose monthly costs were worked out by hand.</summary>
public sealed class WhatIfCalculatorTests : IAsyncLifetime
{
    private CatalogueDatabase _database = null!;
    private string[] _firstModels = null!;

    private WhatIfCalculator Calculator => new(_database.Routing, _database.Factory, TimeProvider.System);

    public async ValueTask InitializeAsync()
    {
        _database = await CatalogueDatabase.CreateAsync();
        var snapshot = _database.Routing.Current;
        Assert.Equal(["small", "medium", "large"], snapshot.Tiers);
        _firstModels = [.. snapshot.Tiers.Select(t => snapshot.CandidatesFor(t)[0].Key)];

        // Known prices on each tier's first model (USD per million tokens): input, output, cached input, batch discount.
        await using var db = await _database.Factory.CreateDbContextAsync();
        var prices = new (decimal In, decimal Out, decimal? Cached, decimal? Batch)[] { (1, 2, 0.5m, 0.5m), (2, 4, null, null), (10, 30, null, null) };
        for (var i = 0; i < 3; i++)
        {
            var (provider, id) = (_firstModels[i].Split('/')[0], _firstModels[i].Split('/', 2)[1]);
            var model = await db.Models.SingleAsync(m => m.Provider!.Name == provider && m.ModelId == id);
            db.ModelPrices.Add(new ModelPriceEntity
            {
                ModelId = model.Id, EffectiveFrom = DateTimeOffset.UtcNow, InputPerMillion = prices[i].In, OutputPerMillion = prices[i].Out,
                CachedInputPerMillion = prices[i].Cached, BatchDiscount = prices[i].Batch, CreatedAt = DateTimeOffset.UtcNow,
            });
        }

        await db.SaveChangesAsync();
        _database.Routing.Publish(SnapshotCompiler.Compile(await RoutingConfigLoader.LoadAsync(db, _database.Options.Value, _database.Protector)));
    }

    public async ValueTask DisposeAsync() => await _database.DisposeAsync();

    private static WhatIfForm Mix(double cached = 0, double batch = 0) => new()
    {
        MonthlyVolume = 1_000,
        Classes =
        [
            new() { Name = "Simple", SharePercent = 50, InputTokens = 1_000, OutputTokens = 100 },
            new() { Name = "Medium", SharePercent = 30, InputTokens = 2_000, OutputTokens = 500 },
            new() { Name = "Complex", SharePercent = 20, InputTokens = 4_000, OutputTokens = 1_000 },
        ],
        CachedInputPercent = cached,
        BatchPercent = batch,
    };

    [Fact]
    public void The_mapping_and_each_single_model_are_priced_for_the_month_with_what_the_mapping_saves()
    {
        var result = Calculator.Calculate(Mix());

        // Simple: 500 × (1,000 × $1 + 100 × $2) / 1M = $0.60; medium: 300 × (2,000 × $2 + 500 × $4) / 1M = $1.80;
        // complex: 200 × (4,000 × $10 + 1,000 × $30) / 1M = $14.00.
        Assert.Equal(16.40m, result.MappingCost);
        Assert.Equal(["small", "medium", "large"], result.ClassTiers);
        var mapping = result.Options[0];
        Assert.Equal(WhatIfOption.Mapping, mapping.Kind);
        Assert.Equal(_firstModels, mapping.Models);

        // Everything on the large model: 500 × $0.013 + 300 × $0.035 + 200 × $0.07 = $31.00, so the mapping saves $14.60.
        var large = result.Options.Single(o => o.Kind == WhatIfOption.SingleModel && o.Name == _firstModels[2]);
        Assert.Equal(31.00m, large.MonthlyCost);
        Assert.Equal(14.60m, result.SavingAgainst(large));

        // Everything on the small model costs less than the mapping: a negative saving.
        var small = result.Options.Single(o => o.Kind == WhatIfOption.SingleModel && o.Name == _firstModels[0]);
        Assert.Equal(500 * 0.0012m + 300 * 0.003m + 200 * 0.006m, small.MonthlyCost);
        Assert.True(result.SavingAgainst(small) < 0);
    }

    [Fact]
    public void Cached_input_and_batches_are_priced_where_the_mix_says_so()
    {
        var plain = Calculator.Calculate(Mix()).Options.Single(o => o.Name == _firstModels[0]).MonthlyCost!.Value;
        var cached = Calculator.Calculate(Mix(cached: 50)).Options.Single(o => o.Name == _firstModels[0]).MonthlyCost!.Value;
        var batched = Calculator.Calculate(Mix(batch: 100)).Options.Single(o => o.Name == _firstModels[0]).MonthlyCost!.Value;

        // Half the input at the cached price of $0.50 instead of $1: input costs three quarters of what it did.
        var input = (500 * 1_000 + 300 * 2_000 + 200 * 4_000) / 1_000_000m;
        Assert.Equal(plain - input / 4, cached);
        Assert.Equal(plain / 2, batched);
    }

    [Fact]
    public void The_prices_of_an_earlier_day_apply_when_one_is_chosen()
    {
        var form = Mix();
        form.PriceDate = DateTime.UtcNow.Date.AddDays(-1);

        var result = Calculator.Calculate(form);

        // Yesterday the prices added in this test were not in force yet.
        Assert.NotNull(result.MappingCost);
        Assert.NotEqual(16.40m, result.MappingCost);
        Assert.Equal(DateTime.UtcNow.Date.AddDays(-1), result.PricesAt.UtcDateTime.Date);
    }

    [Theory]
    [InlineData(0, 50, 30, 20, "The monthly volume must be from 1")]
    [InlineData(1000, 50, 30, 30, "The shares add up to 110 %; make them add up to 100 %.")]
    [InlineData(1000, -10, 80, 30, "Simple: the share must be from 0 to 100 %.")]
    public void A_mix_that_does_not_add_up_is_refused_with_the_reason(long volume, double simple, double medium, double complex, string reason)
    {
        var form = Mix();
        form.MonthlyVolume = volume;
        form.Classes[0].SharePercent = simple;
        form.Classes[1].SharePercent = medium;
        form.Classes[2].SharePercent = complex;

        var result = new WhatIfFormValidator().Validate(form);

        Assert.Contains(result.Errors, e => e.ErrorMessage.StartsWith(reason, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_mix_is_taken_from_the_ledger_per_tier_and_scaled_to_thirty_days()
    {
        var now = DateTimeOffset.UtcNow;
        await using (var db = await _database.Factory.CreateDbContextAsync())
        {
            RequestLogRow Row(string tier, long prompt, long cached, long completion, string? batch = null) => new()
            {
                RequestId = "req_" + Guid.NewGuid().ToString("N"), Timestamp = now.AddHours(-1), Tier = tier, Model = _firstModels[0],
                PromptTokens = prompt, CachedTokens = cached, CompletionTokens = completion, BatchId = batch, HttpStatus = 200,
            };
            db.RequestLog.AddRange(
                Row("small", 1_000, 500, 100), Row("small", 3_000, 500, 300), Row("small", 2_000, 0, 200, batch: "batch_1"),
                Row("medium", 4_000, 0, 1_000),
                Row("large", 10_000, 0, 2_000), Row("large", 6_000, 0, 4_000));

            // A refusal has no tier and does not count.
            db.RequestLog.Add(new RequestLogRow { RequestId = "req_refused", Timestamp = now.AddHours(-1), HttpStatus = 401 });
            await db.SaveChangesAsync();
        }

        var mix = await Calculator.FromLedgerAsync(MetricsRange.Create(RangeKind.Week, now.AddMinutes(1)), TestContext.Current.CancellationToken);

        // Six requests in seven days: 6 × 30 / 7 ≈ 26 a month.
        Assert.NotNull(mix);
        Assert.Equal(26, mix.MonthlyVolume);
        Assert.Equal([50.0, 16.7, 33.3], mix.Classes.Select(c => c.SharePercent));
        Assert.Equal([(2_000L, 200L), (4_000L, 1_000L), (8_000L, 3_000L)], mix.Classes.Select(c => (c.InputTokens, c.OutputTokens)));
        Assert.Equal(Math.Round(100.0 * 1_000 / 26_000, 1), mix.CachedInputPercent);
        Assert.Equal(16.7, mix.BatchPercent);
    }

    [Fact]
    public async Task A_range_without_answered_requests_gives_no_mix()
    {
        var mix = await Calculator.FromLedgerAsync(MetricsRange.Create(RangeKind.Week, DateTimeOffset.UtcNow.AddDays(-100)), TestContext.Current.CancellationToken);

        Assert.Null(mix);
    }
}
