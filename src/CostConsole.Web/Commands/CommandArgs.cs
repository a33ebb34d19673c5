using System.Globalization;

namespace CostConsole.Web.Commands;

/// <summary>Bad command-line input, with the message to print; nothing was done.</summary>
internal sealed class CommandException(string message) : Exception(message);

/// <summary><c>--name value</c> pairs after a command's name.</summary>
internal sealed class CommandArgs
{
    private readonly Dictionary<string, string> _values = new(StringComparer.OrdinalIgnoreCase);

    public CommandArgs(IReadOnlyList<string> args, params string[] known)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
            {
                throw new CommandException($"Expected '--option value', got '{name}'. Options: {string.Join(", ", known.Select(k => "--" + k))}.");
            }

            var key = name[2..];
            if (!known.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                throw new CommandException($"Unknown option '{name}'. Options: {string.Join(", ", known.Select(k => "--" + k))}.");
            }

            _values[key] = args[++i];
        }
    }

    public string? Text(string name) => _values.GetValueOrDefault(name);

    public double Number(string name, double fallback, double min, double max)
    {
        if (!_values.TryGetValue(name, out var text))
        {
            return fallback;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new CommandException($"--{name} must be a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}; got '{text}'.");
    }
}

internal static class ConsoleCommands
{
    /// <summary>Commands that need no database of their own (they talk to a running console); run before the host is built.</summary>
    public static async Task<bool> TryRunClientCommandAsync(string[] args)
    {
        if (args is not ["traffic", ..])
        {
            return false;
        }

        Environment.ExitCode = await RunAsync(() => TrafficCommand.RunAsync(args[1..]));
        return true;
    }

    /// <summary>Commands over this console's database; run once it is migrated, instead of serving.</summary>
    public static async Task<bool> TryRunDataCommandAsync(this WebApplication app, string[] args)
    {
        Func<Task>? command = args switch
        {
            ["seed-ledger", ..] => () => SeedLedgerCommand.RunAsync(app.Services, args[1..]),
            ["measure-dashboard", ..] => () => MeasureDashboardCommand.RunAsync(app.Services, args[1..]),
            ["train-router", ..] => () => TrainRouterCommand.RunAsync(app.Services, TrainRouterCommand.Parse(args[1..])),
            ["evaluate-router", ..] => () => EvaluateRouterCommand.RunAsync(app.Services, EvaluateRouterCommand.Parse(args[1..])),
            _ => null,
        };
        if (command is null)
        {
            return false;
        }

        Environment.ExitCode = await RunAsync(command);
        return true;
    }

    private static async Task<int> RunAsync(Func<Task> command)
    {
        try
        {
            await command();
            return 0;
        }
        catch (CommandException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            return 2;
        }
    }
}
