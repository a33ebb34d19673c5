using System.CommandLine;
using System.Diagnostics;
using CostConsole.Data;
using CostConsole.Web.Metrics;

namespace CostConsole.Web.Commands;

/// <summary>
/// <c>export-costs --format focus|chargeback --from 2026-11-01 --to 2026-11-30 [--period day|month] [--out FILE]</c>:
/// the finance files of the Spend page, from the command line (for a monthly job), with the rows written, the rate and
/// the peak memory on standard error.
/// </summary>
internal static class ExportCostsCommand
{
    public static Command Create(ConsoleHost host)
    {
        var format = new Option<string>("--format") { Description = "focus (FOCUS 1.2 cost and usage) or chargeback (spend per team and key)", DefaultValueFactory = _ => "focus" };
        var from = new Option<string>("--from") { Description = "First day, yyyy-MM-dd (UTC)", Required = true };
        var to = new Option<string>("--to") { Description = "Last day, yyyy-MM-dd (UTC), included", Required = true };
        var period = new Option<string>("--period") { Description = "Chargeback lines per day or per month", DefaultValueFactory = _ => "day" };
        var output = new Option<string?>("--out") { Description = "The file to write; standard output without it" };
        var command = new Command("export-costs", "Writes the FOCUS 1.2 cost and usage file or the chargeback file for whole UTC days from this console's ledger.")
        {
            format, from, to, period, output,
        };
        command.SetAction((parse, _) => ConsoleCommandLine.RunAsync(parse, async () =>
        {
            // The arguments are checked before the database is opened: a typo changes nothing and waits for nothing.
            var (range, chargeback, chosen) = Parse(parse.GetValue(format)!, parse.GetValue(from)!, parse.GetValue(to)!, parse.GetValue(period)!);
            await using var app = await host.BuildAsync([]);
            await RunAsync(app.Services, parse, range, chargeback, chosen, parse.GetValue(output));
        }));
        return command;
    }

    private static (MetricsRange Range, bool Chargeback, ChargebackPeriod Period) Parse(string format, string fromText, string toText, string periodText)
    {
        MetricsRange range;
        ChargebackPeriod period;
        try
        {
            range = MetricsRange.Create(RangeKind.Custom, DateTimeOffset.UtcNow, MetricsRange.ParseDate(fromText, "--from"), MetricsRange.ParseDate(toText, "--to"));
            period = LedgerExports.ParsePeriod(periodText);
        }
        catch (MetricsInputException ex)
        {
            throw new CommandException(ex.Message);
        }

        var chargeback = format.ToLowerInvariant() switch
        {
            "focus" => false,
            "chargeback" => true,
            _ => throw new CommandException($"Unknown format '{format}'. Use focus or chargeback."),
        };
        return (range, chargeback, period);
    }

    private static async Task RunAsync(IServiceProvider services, ParseResult parse, MetricsRange range, bool chargeback, ChargebackPeriod period, string? output)
    {

        var exports = services.GetRequiredService<LedgerExports>();
        var started = Stopwatch.GetTimestamp();
        ExportTotals totals;
        if (output is null)
        {
            totals = await WriteAsync(parse.InvocationConfiguration.Output);
        }
        else
        {
            await using var file = new StreamWriter(new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true), new System.Text.UTF8Encoding(false), 1 << 16);
            totals = await WriteAsync(file);
        }

        async Task<ExportTotals> WriteAsync(TextWriter writer)
        {
            var written = chargeback
                ? await exports.WriteChargebackAsync(writer, range.From, range.To, period, null, CancellationToken.None)
                : await exports.WriteFocusAsync(writer, range.From, range.To, null, CancellationToken.None);
            await writer.FlushAsync();
            return written;
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        using var process = Process.GetCurrentProcess();
        await parse.InvocationConfiguration.Error.WriteLineAsync(
            $"{totals.Requests:N0} ledger rows in {totals.Rows:N0} lines, {Money.FromNanoUsd(totals.CostNanoUsd):0.00####} USD spent, "
            + $"in {seconds:0.00} s ({(seconds > 0 ? totals.Requests / seconds : 0):N0} rows/s), peak memory {process.PeakWorkingSet64 / (1024 * 1024):N0} MB"
            + (output is null ? "" : $"; written to {output}") + ".");
    }
}
