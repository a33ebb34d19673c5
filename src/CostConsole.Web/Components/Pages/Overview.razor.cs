using System.Globalization;
using CostConsole.Data;
using CostConsole.Data.Catalogue;
using CostConsole.Routing.Decisions;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MudBlazor;

namespace CostConsole.Web.Components.Pages;

public sealed partial class Overview : IDisposable
{
    private static readonly TimeSpan RefreshEvery = TimeSpan.FromSeconds(5);

    private readonly CancellationTokenSource _disposed = new();
    private RoutingSnapshot? _snapshot;
    private IReadOnlyList<MappingRow> _mapping = [];
    private DayTotals? _today;
    private IReadOnlyList<LatestRow>? _latest;
    private DateTimeOffset? _loadedAt;
    private bool _loading;
    private string _endpoint = "";
    private string _curl = "";
    private string? _devKey;

    [Inject]
    private IDbContextFactory<CostConsoleDbContext> DbFactory { get; set; } = null!;

    [Inject]
    private RoutingState Routing { get; set; } = null!;

    [Inject]
    private NavigationManager Navigation { get; set; } = null!;

    [Inject]
    private IWebHostEnvironment Environment { get; set; } = null!;

    [Inject]
    private IOptions<CostConsoleOptions> Options { get; set; } = null!;

    protected override async Task OnInitializedAsync()
    {
        _snapshot = Routing.Current;
        _mapping = MappingRows(_snapshot);
        _endpoint = Navigation.BaseUri + "v1";
        _devKey = Environment.IsDevelopment() ? Options.Value.DevApiKey : null;
        _curl = $"""
            curl {_endpoint}/chat/completions \
              -H "Authorization: Bearer {_devKey ?? "<your key>"}" \
              -H "Content-Type: application/json" \
              -d '{"{"}"model":"auto","messages":[{"{"}"role":"user","content":"Where is my order?"{"}"}]{"}"}'
            """;
        await RefreshAsync();
        _ = AutoRefreshAsync();
    }

    private async Task AutoRefreshAsync()
    {
        using var timer = new PeriodicTimer(RefreshEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(_disposed.Token))
            {
                await InvokeAsync(RefreshAsync);
            }
        }
        catch (OperationCanceledException)
        {
            // The page was closed.
        }
    }

    private async Task RefreshAsync()
    {
        _loading = true;
        try
        {
            _snapshot = Routing.Current;
            _mapping = MappingRows(_snapshot);
            var startOfDay = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero);
            await using var db = await DbFactory.CreateDbContextAsync(_disposed.Token);
            var today = await db.RequestLog.AsNoTracking()
                .Where(r => r.Timestamp >= startOfDay)
                .GroupBy(_ => 1)
                .Select(g => new { Requests = g.Count(), Failed = g.Count(r => r.Status != 0), Cost = g.Sum(r => r.CostNanoUsd), Baseline = g.Sum(r => r.BaselineCostNanoUsd) })
                .FirstOrDefaultAsync(_disposed.Token);
            _today = today is null
                ? new DayTotals(0, 0, 0m, 0m)
                : new DayTotals(today.Requests, today.Failed, Money.FromNanoUsd(today.Cost), Money.FromNanoUsd(today.Baseline));
            _latest = await db.RequestLog.AsNoTracking()
                .OrderByDescending(r => r.Id)
                .Take(20)
                .Select(r => new LatestRow(r.Timestamp, r.Status, r.HttpStatus, r.Tier, r.Model, r.Rule, r.ErrorCode, r.PromptTokens, r.CompletionTokens, r.CostNanoUsd, r.BaselineCostNanoUsd, r.LatencyMs))
                .ToListAsync(_disposed.Token);
            _loadedAt = DateTimeOffset.UtcNow;
        }
        catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
        {
            return;
        }
        finally
        {
            _loading = false;
        }

        StateHasChanged();
    }

    public void Dispose()
    {
        _disposed.Cancel();
        _disposed.Dispose();
    }

    private static IReadOnlyList<MappingRow> MappingRows(RoutingSnapshot snapshot)
    {
        var now = DateTimeOffset.UtcNow;
        return [.. snapshot.Tiers.SelectMany(tier => snapshot.CandidatesFor(tier).Where(c => c.Tier == tier).Select(model =>
        {
            var price = snapshot.Prices.PriceAt(model.Key, now);
            return new MappingRow(tier, model.Model.Id, model.Provider.Name, PerMillion(price?.InputPerMillion), PerMillion(price?.OutputPerMillion));
        }))];
    }

    private static string PerMillion(decimal? value) => value is { } v ? v.ToString("0.00##", CultureInfo.InvariantCulture) : "unpriced";

    private static string Usd(decimal value) => value switch
    {
        0m => "$0",
        < 0.01m and > -0.01m => "$" + value.ToString("0.000000", CultureInfo.InvariantCulture),
        _ => value.ToString("C4", CultureInfo.GetCultureInfo("en-US")),
    };

    private static string SavingsText(DayTotals day) =>
        day.Baseline <= 0m ? "—" : ((day.Baseline - day.Cost) / day.Baseline).ToString("P1", CultureInfo.InvariantCulture);

    private static Color StatusColor(int status) => status switch
    {
        0 => Color.Success,
        1 => Color.Error,
        _ => Color.Warning,
    };

    private static string StatusText(LatestRow row) => row.Status switch
    {
        0 => "answered",
        1 => $"failed {row.HttpStatus}",
        _ => $"rejected {row.HttpStatus}",
    };

    private sealed record DayTotals(int Requests, int Failed, decimal Cost, decimal Baseline);

    private sealed record MappingRow(string Tier, string Model, string Provider, string Input, string Output);

    private sealed record LatestRow(
        DateTimeOffset Timestamp,
        int Status,
        int HttpStatus,
        string? Tier,
        string? Model,
        string? Rule,
        string? Error,
        long PromptTokens,
        long CompletionTokens,
        long CostNanoUsd,
        long BaselineNanoUsd,
        double LatencyMs)
    {
        public decimal Cost => Money.FromNanoUsd(CostNanoUsd);

        public decimal Baseline => Money.FromNanoUsd(BaselineNanoUsd);
    }
}
