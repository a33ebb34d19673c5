using Bunit;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Web.Components.Dashboard;
using CostConsole.Web.Metrics;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using MudBlazor.Services;

namespace CostConsole.Web.Tests.Components;

/// <summary>
/// The dashboard's batch and provider-caching cards over ledger rows whose figures were worked out by hand. The
/// medium model costs $0.40 input, $0.10 cached input and $1.60 output per million tokens with a 50 % batch discount,
/// until its price doubles 2.5 hours before now; the small model ($0.10 / $0.025 / $0.40) has no batch discount.
/// </summary>
public sealed class DiscountCardsTests : BunitContext, IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    private CatalogueDatabase _database = null!;
    private string _medium = null!;
    private string _small = null!;

    public DiscountCardsTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
    }

    public async ValueTask InitializeAsync()
    {
        _database = await CatalogueDatabase.CreateAsync();
        await using var db = await _database.Factory.CreateDbContextAsync();
        var models = await db.Models.Include(m => m.Provider).ToListAsync();
        var medium = models.Single(m => m.ModelId == "gpt-4.1-mini");
        var small = models.Single(m => m.ModelId == "gpt-4.1-nano");
        (_medium, _small) = (medium.Provider!.Name + "/" + medium.ModelId, small.Provider!.Name + "/" + small.ModelId);
        db.ModelPrices.RemoveRange(db.ModelPrices);
        db.ModelPrices.AddRange(
            new ModelPriceEntity { ModelId = medium.Id, EffectiveFrom = Now.AddDays(-60), InputPerMillion = 0.40m, CachedInputPerMillion = 0.10m, OutputPerMillion = 1.60m, BatchDiscount = 0.5m, CreatedAt = Now },
            new ModelPriceEntity { ModelId = medium.Id, EffectiveFrom = Now.AddHours(-2.5), InputPerMillion = 0.80m, CachedInputPerMillion = 0.20m, OutputPerMillion = 3.20m, BatchDiscount = 0.5m, CreatedAt = Now },
            new ModelPriceEntity { ModelId = small.Id, EffectiveFrom = Now.AddDays(-60), InputPerMillion = 0.10m, CachedInputPerMillion = 0.025m, OutputPerMillion = 0.40m, CreatedAt = Now });
        await db.SaveChangesAsync();
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task The_cards_show_batch_spend_what_the_batch_price_saved_and_what_provider_caching_saved_against_the_day_before()
    {
        await SeedAsync(
            // At the new price, batch rates $0.40 / $1.60: charged $0.40 + $0.80 = $1.20; at the interactive price $2.40.
            Row(Now.AddHours(-2), _medium, prompt: 1_000_000, cached: 0, completion: 500_000, cost: 1.20m, batch: "batch_a"),
            // The small model has no batch discount: charged and interactive price alike, $0.10.
            Row(Now.AddHours(-4), _small, prompt: 1_000_000, cached: 0, completion: 0, cost: 0.10m, batch: "batch_a"),
            // At the old price: 200,000 cache reads at $0.10 instead of $0.40 saved $0.06.
            Row(Now.AddHours(-3), _medium, prompt: 400_000, cached: 200_000, completion: 0, cost: 0.10m),
            // A request without cache reads or batch changes neither card.
            Row(Now.AddHours(-1), _medium, prompt: 900_000, cached: 0, completion: 0, cost: 0.72m),

            // The day before: a batch line of $0.10 that saved $0.10, and 100,000 cache reads that saved $0.03.
            Row(Now.AddHours(-30), _medium, prompt: 500_000, cached: 0, completion: 0, cost: 0.10m, batch: "batch_b"),
            Row(Now.AddHours(-31), _medium, prompt: 100_000, cached: 100_000, completion: 0, cost: 0.01m),

            // Before both periods.
            Row(Now.AddDays(-3), _medium, prompt: 100_000, cached: 100_000, completion: 0, cost: 0.01m, batch: "batch_c"));

        var figures = await FiguresAsync(MetricsFilter.None);
        var cut = Render<DiscountCards>(p => p.Add(c => c.Figures, figures));

        Assert.Equal("$1.3000", Text(cut, "batch-spend-value"));
        Assert.Equal("+1200.0 % vs the period before", Text(cut, "batch-spend-change"));
        Assert.Equal("2 batch lines in the last 24 hours; $2.5000 at the interactive price", Text(cut, "batch-spend-note"));
        Assert.Equal("$1.2000", Text(cut, "batch-saved-value"));
        Assert.Equal("+1100.0 % vs the period before", Text(cut, "batch-saved-change"));
        Assert.Equal("48.0 % off the interactive price of the batch lines in the last 24 hours", Text(cut, "batch-saved-note"));
        Assert.Equal("$0.0600", Text(cut, "caching-saved-value"));
        Assert.Equal("+100.0 % vs the period before", Text(cut, "caching-saved-change"));
        Assert.Equal("200,000 input tokens read from provider caches in the last 24 hours, at the cached-input price", Text(cut, "caching-saved-note"));
        Assert.Contains("cc-good", cut.Find("[data-testid='card-caching-saved-change']").ClassName);
    }

    [Fact]
    public async Task The_cards_follow_the_model_filter_and_a_batch_line_saves_its_cache_reads_at_the_batch_rates()
    {
        await SeedAsync(
            Row(Now.AddHours(-4), _small, prompt: 1_000_000, cached: 0, completion: 0, cost: 0.10m, batch: "batch_a"),
            // At the old batch rates ($0.20 input, $0.05 cached, $0.80 output): $0.03 + $0.005 = $0.035 charged,
            // $0.07 at the interactive price; its 100,000 cache reads saved $0.015 at the batch rates.
            Row(Now.AddHours(-5), _medium, prompt: 250_000, cached: 100_000, completion: 0, cost: 0.035m, batch: "batch_a"));

        var figures = await FiguresAsync(new MetricsFilter(Model: _medium));
        var cut = Render<DiscountCards>(p => p.Add(c => c.Figures, figures));

        Assert.Equal("$0.0350", Text(cut, "batch-spend-value"));
        Assert.Equal("no batch spend in the period before", Text(cut, "batch-spend-change"));
        Assert.Equal("1 batch line in the last 24 hours; $0.0700 at the interactive price", Text(cut, "batch-spend-note"));
        Assert.Equal("$0.0350", Text(cut, "batch-saved-value"));
        Assert.Equal("50.0 % off the interactive price of the batch lines in the last 24 hours", Text(cut, "batch-saved-note"));
        Assert.Equal("$0.0150", Text(cut, "caching-saved-value"));
        Assert.Equal("nothing saved in the period before", Text(cut, "caching-saved-change"));
    }

    [Fact]
    public async Task The_cards_stay_hidden_until_a_batch_is_made_and_a_provider_reads_from_its_cache()
    {
        await SeedAsync(Row(Now.AddHours(-1), _medium, prompt: 900_000, cached: 0, completion: 0, cost: 0.72m));

        var none = await FiguresAsync(MetricsFilter.None);
        var cut = Render<DiscountCards>(p => p.Add(c => c.Figures, none));
        Assert.Empty(cut.FindAll("[data-testid='discount-cards']"));

        // A batch was made, but none of its lines ran in the range: the batch cards say so; caching stays hidden.
        await using (var db = await _database.Factory.CreateDbContextAsync())
        {
            db.Batches.Add(new BatchEntity { Id = "batch_new", InputFileId = "file_1", Endpoint = "/v1/chat/completions", CompletionWindow = "24h", Status = "validating", CreatedAt = Now, ExpiresAt = Now.AddDays(1) });
            await db.SaveChangesAsync();
        }

        var batched = await FiguresAsync(MetricsFilter.None);
        cut.Render(p => p.Add(c => c.Figures, batched));

        Assert.Equal("$0", Text(cut, "batch-spend-value"));
        Assert.Equal("0 batch lines in the last 24 hours; $0 at the interactive price", Text(cut, "batch-spend-note"));
        Assert.Equal("no priced batch lines in the last 24 hours", Text(cut, "batch-saved-note"));
        Assert.Empty(cut.FindAll("[data-testid='card-caching-saved']"));
    }

    private static string Text(IRenderedComponent<DiscountCards> cut, string id) => cut.Find($"[data-testid='card-{id}']").TextContent;

    private Task<DiscountDashboardFigures> FiguresAsync(MetricsFilter filter) =>
        new DiscountHistory(_database.Factory).DashboardAsync(MetricsRange.Create(RangeKind.Day, Now), filter, "the last 24 hours", Xunit.TestContext.Current.CancellationToken);

    private async Task SeedAsync(params RequestLogRow[] rows)
    {
        await using var db = await _database.Factory.CreateDbContextAsync();
        db.RequestLog.AddRange(rows);
        await db.SaveChangesAsync();
    }

    private static RequestLogRow Row(DateTimeOffset at, string model, long prompt, long cached, long completion, decimal cost, string? batch = null) => new()
    {
        RequestId = "req_" + Guid.NewGuid().ToString("N"),
        Timestamp = at,
        Model = model,
        Provider = model.Split('/')[0],
        Tier = "medium",
        BatchId = batch,
        PromptTokens = prompt,
        CachedTokens = cached,
        CompletionTokens = completion,
        CostNanoUsd = Money.ToNanoUsd(cost),
        Priced = true,
        HttpStatus = 200,
    };
}
