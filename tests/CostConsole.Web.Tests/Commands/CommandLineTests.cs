using CostConsole.Web.Commands;

namespace CostConsole.Web.Tests.Commands;

/// <summary>The command line as a user meets it: help, unknown commands and options, values out of range, serving.</summary>
public sealed class CommandLineTests
{
    private readonly List<string[]> _served = [];

    private int _built;

    private ConsoleHost Host => new(
        _ =>
        {
            _built++;
            throw new InvalidOperationException("No command in these tests may reach the database.");
        },
        args =>
        {
            _served.Add(args);
            return Task.CompletedTask;
        });

    private async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await ConsoleCommandLine.InvokeAsync(args, Host, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData("traffic", new[] { "--rate", "--seconds", "--concurrency", "--url", "--key", "--outcomes" })]
    [InlineData("seed-ledger", new[] { "--rows", "--days", "--seed" })]
    [InlineData("measure-dashboard", new[] { "--runs" })]
    [InlineData("simulator", new[] { "--api-key", "--urls" })]
    [InlineData("export-costs", new[] { "--format", "--from", "--to", "--period", "--out" })]
    public async Task Every_command_answers_help_with_its_options(string command, string[] options)
    {
        var (exit, output, _) = await RunAsync(command, "--help");

        Assert.Equal(0, exit);
        Assert.All(options, option => Assert.Contains(option, output, StringComparison.Ordinal));
        Assert.Empty(_served);
        Assert.Equal(0, _built);
    }

    [Fact]
    public async Task Help_alone_lists_every_command()
    {
        var (exit, output, _) = await RunAsync("--help");

        Assert.Equal(0, exit);
        Assert.All(["traffic", "seed-ledger", "measure-dashboard"], command => Assert.Contains(command, output, StringComparison.Ordinal));
        Assert.Empty(_served);
    }

    [Fact]
    public async Task An_unknown_command_is_refused_with_the_known_ones_and_nothing_is_served()
    {
        var (exit, _, error) = await RunAsync("trafic", "--rate", "5");

        Assert.Equal(2, exit);
        Assert.Contains("Unknown command 'trafic'. Commands: traffic, seed-ledger, measure-dashboard, evaluate-escalation, train-router, evaluate-router, simulator, migrate-data, export-costs.", error, StringComparison.Ordinal);
        Assert.Empty(_served);
    }

    [Theory]
    [InlineData(new[] { "traffic", "--rate", "0" }, "--rate must be a number from 0.1 to 1000; got '0'.")]
    [InlineData(new[] { "traffic", "--seconds", "ten" }, "--seconds must be a number from 1 to 86400; got 'ten'.")]
    [InlineData(new[] { "traffic", "--url", "ftp://example.com" }, "--url must be an absolute http(s) address; got 'ftp://example.com'.")]
    [InlineData(new[] { "traffic", "--outcomes", "maybe" }, "'maybe'")]
    [InlineData(new[] { "seed-ledger", "--rows", "0" }, "--rows must be a number from 1 to 100000000; got '0'.")]
    [InlineData(new[] { "measure-dashboard", "--runs", "1.5" }, "--runs must be a number from 1 to 100; got '1.5'.")]
    [InlineData(new[] { "simulator" }, "Give the key clients must send: --api-key KEY")]
    [InlineData(new[] { "simulator", "--api-key", "k", "--port", "9" }, "'simulator' does not take '--port'.")]
    [InlineData(new[] { "simulator", "--api-key", "k", "--urls", "nonsense" }, "--urls takes http(s) addresses separated by ';', such as http://127.0.0.1:5090; got 'nonsense'.")]
    [InlineData(new[] { "export-costs", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "xml" }, "Unknown format 'xml'. Use focus or chargeback.")]
    [InlineData(new[] { "export-costs", "--from", "2026-11-30", "--to", "2026-11-01" }, "ends (2026-11-01) before it starts (2026-11-30)")]
    [InlineData(new[] { "export-costs", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "chargeback", "--period", "year" }, "Unknown period 'year'. Use day or month.")]
    public async Task A_bad_value_is_refused_with_what_is_allowed_and_nothing_runs(string[] args, string message)
    {
        var (exit, _, error) = await RunAsync(args);

        Assert.NotEqual(0, exit);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.Equal(0, _built);
    }

    [Fact]
    public async Task An_option_a_command_does_not_take_is_refused_with_its_options()
    {
        var (exit, _, error) = await RunAsync("seed-ledger", "--rows", "10", "--bogus", "1");

        Assert.Equal(2, exit);
        Assert.Contains("'seed-ledger' does not take '--bogus'. Options: --rows, --days, --seed, --users.", error, StringComparison.Ordinal);
        Assert.Equal(0, _built);
    }

    [Fact]
    public async Task With_no_command_the_console_is_served_with_the_host_arguments()
    {
        var (exit, _, _) = await RunAsync("--urls", "http://127.0.0.1:5999", "--CostConsole:DataFolder=/tmp/elsewhere");

        Assert.Equal(0, exit);
        Assert.Equal(["--urls", "http://127.0.0.1:5999", "--CostConsole:DataFolder=/tmp/elsewhere"], Assert.Single(_served));
    }
}
