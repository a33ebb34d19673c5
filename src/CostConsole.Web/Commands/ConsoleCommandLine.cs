using System.CommandLine;
using System.Globalization;
using System.Numerics;

namespace CostConsole.Web.Commands;

/// <summary>Builds the console's web app (configured and migrated) with the given host arguments, or serves it.</summary>
internal sealed record ConsoleHost(Func<string[], Task<WebApplication>> BuildAsync, Func<string[], Task> ServeAsync);

/// <summary>
/// The console's one command-line entry, on System.CommandLine. With no command it serves the console and
/// <c>/v1</c>, passing host settings (<c>--urls</c>, <c>--environment</c>, <c>--CostConsole:DataFolder=/path</c>)
/// to ASP.NET Core. Each command is a class with a static <c>Create</c> that returns its <see cref="Command"/>
/// (options with descriptions, defaults and range checks, and an action); adding a command is writing that class and
/// one line in <see cref="Create"/>.
/// </summary>
internal static class ConsoleCommandLine
{
    public static RootCommand Create(ConsoleHost host)
    {
        var root = new RootCommand(
            "CostConsole: an LLM cost router and its console. With no command, serves the console and the OpenAI-compatible /v1 endpoint; "
            + "host settings pass through to ASP.NET Core, e.g. --urls http://127.0.0.1:5080 or --CostConsole:DataFolder=/var/lib/costconsole.")
        {
            // The web host reads its own arguments (--urls, --environment, key=value settings), so the root lets them through.
            TreatUnmatchedTokensAsErrors = false,
        };
        root.Subcommands.Add(TrafficCommand.Create());
        root.Subcommands.Add(SeedLedgerCommand.Create(host));
        root.Subcommands.Add(MeasureDashboardCommand.Create(host));
        root.Subcommands.Add(EvaluateEscalationCommand.Create(host));
        root.Subcommands.Add(TrainRouterCommand.Create(host));
        root.Subcommands.Add(EvaluateRouterCommand.Create(host));
        root.Subcommands.Add(SimulatorCommand.Create());
        root.Subcommands.Add(MigrateDataCommand.Create(host));
        root.Subcommands.Add(ExportCostsCommand.Create(host));

        root.SetAction(async (parse, _) =>
        {
            var hostArgs = parse.UnmatchedTokens.ToArray();
            if (hostArgs is [var first, ..] && !first.StartsWith('-') && !first.StartsWith('/') && !first.Contains('=', StringComparison.Ordinal))
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync(
                    $"Unknown command '{first}'. Commands: {string.Join(", ", root.Subcommands.Select(c => c.Name))}. "
                    + "Run with --help for what each does, or '<command> --help' for its options.");
                return 2;
            }

            await host.ServeAsync(hostArgs);
            return 0;
        });
        return root;
    }

    /// <summary>Parses and runs; exceptions other than <see cref="CommandException"/> are left to crash the process as usual.</summary>
    public static Task<int> InvokeAsync(string[] args, ConsoleHost host, TextWriter? output = null, TextWriter? error = null) =>
        Create(host).Parse(args).InvokeAsync(new InvocationConfiguration
        {
            EnableDefaultExceptionHandler = false,
            // The web host and the traffic command handle Ctrl+C and SIGTERM themselves (the ledger drains on shutdown).
            ProcessTerminationTimeout = null,
            Output = output ?? Console.Out,
            Error = error ?? Console.Error,
        });

    /// <summary>
    /// Runs a command's work; a <see cref="CommandException"/> prints its message and exits with 2, and so does an
    /// option the command does not know (the root lets unknown tokens through for the web host, so commands check here).
    /// </summary>
    public static async Task<int> RunAsync(ParseResult parse, Func<Task> work)
    {
        try
        {
            if (parse.UnmatchedTokens is [var unknown, ..])
            {
                var command = parse.CommandResult.Command;
                throw new CommandException(
                    $"'{command.Name}' does not take '{unknown}'. Options: {string.Join(", ", command.Options.Select(o => o.Name).Where(n => n.StartsWith("--", StringComparison.Ordinal) && n != "--help"))}.");
            }

            await work();
            return 0;
        }
        catch (CommandException ex)
        {
            await parse.InvocationConfiguration.Error.WriteLineAsync(ex.Message);
            return 2;
        }
    }

    /// <summary>Runs a command over this console's database: builds and migrates the app (no server), then does the work.</summary>
    public static Task<int> RunWithDataAsync(ParseResult parse, ConsoleHost host, Func<IServiceProvider, Task> work) =>
        RunAsync(parse, async () =>
        {
            await using var app = await host.BuildAsync([]);
            await work(app.Services);
        });

    /// <summary>A number option with a default and an inclusive range; anything else is refused with the range.</summary>
    public static Option<T> Number<T>(string name, string description, T fallback, T min, T max)
        where T : struct, INumber<T>
    {
        return new Option<T>(name)
        {
            Description = $"{description} ({Text(min)} to {Text(max)})",
            DefaultValueFactory = _ => fallback,
            CustomParser = result =>
            {
                if (result.Tokens is not [var token])
                {
                    return fallback;
                }

                if (T.TryParse(token.Value, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
                {
                    return value;
                }

                result.AddError($"{name} must be a number from {Text(min)} to {Text(max)}; got '{token.Value}'.");
                return fallback;
            },
        };
    }

    private static string Text<T>(T value) where T : IFormattable => value.ToString(null, CultureInfo.InvariantCulture);
}
