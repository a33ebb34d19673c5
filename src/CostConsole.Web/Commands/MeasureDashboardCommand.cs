using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using CostConsole.Data;
using CostConsole.Routing.Pipeline;
using CostConsole.Web.Keys;
using CostConsole.Web.Metrics;
using CostConsole.Web.Requests;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Commands;

/// <summary>
/// <c>measure-dashboard [--runs 7]</c>: times, on this console's own database, the calls a page load makes —
/// the dashboard's 30-day view (filter choices, headline cards, charts), request explorer pages with content searches,
/// the Spend page's rankings and the keys list — and prints the median and the spread of several runs. Run it in
/// Release on a seeded ledger (<c>seed-ledger</c>).
/// </summary>
internal static class MeasureDashboardCommand
{
    public static Command Create(ConsoleHost host)
    {
        var runs = ConsoleCommandLine.Number("--runs", "Timed runs per measure, after one warm-up", 7, 1, 100);
        var command = new Command("measure-dashboard", "Times, on this console's database, what a dashboard, request explorer, Spend or keys page load does, and prints the median and spread.")
        {
            runs,
        };
        command.SetAction((parse, _) => ConsoleCommandLine.RunWithDataAsync(parse, host, services => RunAsync(services, parse.GetValue(runs))));
        return command;
    }

    private static async Task RunAsync(IServiceProvider services, int runs)
    {
        var history = services.GetRequiredService<MetricsHistory>();
        var explorer = services.GetRequiredService<RequestExplorer>();
        var now = DateTimeOffset.UtcNow;
        var month = MetricsRange.Create(RangeKind.Month, now);
        var day = MetricsRange.Create(RangeKind.Day, now);
        var choices = await history.ChoicesAsync();
        var tier = choices.Tiers[^1];
        var model = choices.Models.FirstOrDefault() ?? "";

        Console.WriteLine($"Each figure: median (min–max) of {runs} runs, after one warm-up run.");
        await MeasureAsync("Dashboard, 30 days: choices + headline cards + charts", runs, async () =>
        {
            await history.ChoicesAsync();
            await history.HeadlinesAsync(month, MetricsFilter.None, now);
            var view = await history.LoadAsync(month, MetricsFilter.None);
            return $"{view.Totals.Requests:N0} requests in {view.Buckets.Count} buckets";
        });
        await MeasureAsync($"Dashboard, 30 days, tier = {tier}", runs, async () =>
        {
            var filter = new MetricsFilter(Tier: tier);
            await history.HeadlinesAsync(month, filter, now);
            var view = await history.LoadAsync(month, filter);
            return $"{view.Totals.Requests:N0} requests";
        });
        await MeasureAsync("Dashboard, 24 hours (minute rollups)", runs, async () =>
        {
            await history.HeadlinesAsync(day, MetricsFilter.None, now);
            var view = await history.LoadAsync(day, MetricsFilter.None);
            return $"{view.Totals.Requests:N0} requests";
        });
        await MeasureAsync("Request explorer, 30 days, first page", runs, () => PageAsync(explorer, new RequestQuery(month.From, month.To)));
        await MeasureAsync("Request explorer, 30 days, page 40", runs, () => PageAsync(explorer, new RequestQuery(month.From, month.To, Page: 39)));
        await MeasureAsync($"Request explorer, 30 days, model = {model}", runs, () => PageAsync(explorer, new RequestQuery(month.From, month.To, Model: model)));
        await MeasureAsync("Request explorer, 30 days, status = failed", runs, () => PageAsync(explorer, new RequestQuery(month.From, month.To, Status: LedgerStatus.Failed)));
        var newest = (await explorer.PageAsync(new RequestQuery(month.From, month.To, PageSize: 1))).Rows.FirstOrDefault()?.RequestId ?? "req_0";
        await MeasureAsync("Request explorer, 30 days, whole request id", runs, () => PageAsync(explorer, new RequestQuery(month.From, month.To, Search: newest)));
        await MeasureAsync("Request explorer, 30 days, request id prefix (req_ + 8)", runs, () => PageAsync(explorer, new RequestQuery(month.From, month.To, Search: newest[..12])));
        await MeasureAsync("Request explorer, 30 days, fragment inside ids", runs, () => PageAsync(explorer, new RequestQuery(month.From, month.To, Search: "abc1")));
        await MeasureAsync("Request explorer, 30 days, sorted by cost", runs, () => PageAsync(explorer, new RequestQuery(month.From, month.To, Sort: RequestSort.Cost)));
        await MeasureAsync("Request explorer, 30 days, sorted by latency", runs, () => PageAsync(explorer, new RequestQuery(month.From, month.To, Sort: RequestSort.Latency)));
        await MeasureAsync("Request explorer, 30 days, sorted by baseline", runs, () => PageAsync(explorer, new RequestQuery(month.From, month.To, Sort: RequestSort.Baseline)));
        foreach (var words in new[] { "refund", "tracking number", "invoice german", "zebra" })
        {
            await MeasureAsync($"Request explorer, 30 days, words in the prompt: {words}", runs, () => PageAsync(explorer, new RequestQuery(month.From, month.To, Text: words)));
            // The explorer's own order once words are typed.
            await MeasureAsync($"Request explorer, 30 days, words in the prompt by relevance: {words}", runs, () => PageAsync(explorer, new RequestQuery(month.From, month.To, Sort: RequestSort.Relevance, Text: words)));
        }

        await MeasureAsync("Request explorer, 30 days, words: refund, tier = " + tier, runs, () => PageAsync(explorer, new RequestQuery(month.From, month.To, Tier: tier, Text: "refund")));
        await MeasureAsync("Request explorer, 30 days, words by relevance: refund, tier = " + tier, runs, () => PageAsync(explorer, new RequestQuery(month.From, month.To, Tier: tier, Sort: RequestSort.Relevance, Text: "refund")));

        var spend = services.GetRequiredService<SpendReport>();
        foreach (var by in Enum.GetValues<SpendDimension>())
        {
            await MeasureAsync($"Spend, 30 days, by {SpendReport.Name(by)} (top 10)", runs, async () =>
            {
                var ranking = await spend.RankAsync(by, month, 10);
                return $"{ranking.Rows.Count} rows{(ranking.More ? " and more" : "")}, {ranking.Total.Requests:N0} requests";
            });
        }

        // End users and conversations as they were ranked before the running totals: by grouping the month's requests.
        var grouping = new SpendReport(services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>(), groupedUpTo: long.MaxValue);
        foreach (var by in new[] { SpendDimension.User, SpendDimension.Conversation })
        {
            await MeasureAsync($"Spend, 30 days, by {SpendReport.Name(by)} (top 10), grouping the ledger", runs, async () =>
            {
                var ranking = await grouping.RankAsync(by, month, 10);
                return $"{ranking.Rows.Count} rows{(ranking.More ? " and more" : "")}, {ranking.Total.Requests:N0} requests";
            });
        }

        var keys = services.GetRequiredService<KeyService>();
        await MeasureAsync("Keys list (spend this month, last used)", runs, async () => $"{(await keys.ListAsync(includeRevoked: false)).Count} keys");
    }

    private static async Task<string> PageAsync(RequestExplorer explorer, RequestQuery query)
    {
        var page = await explorer.PageAsync(query);
        if (page.Rows.Count > 0)
        {
            await explorer.DetailAsync(page.Rows[0].Id);
        }

        return $"{page.Rows.Count} rows of {(page.MoreThanTotal ? "more than " : "")}{page.Total:N0}";
    }

    private static async Task MeasureAsync(string name, int runs, Func<Task<string>> action)
    {
        var result = await action();
        var times = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var started = Stopwatch.GetTimestamp();
            result = await action();
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        times.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-58} {times[times.Count / 2],8:0.0} ms  ({times[0]:0.0}–{times[^1]:0.0})  {result}"));
    }
}
