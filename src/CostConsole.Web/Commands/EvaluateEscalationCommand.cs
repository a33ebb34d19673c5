using System.CommandLine;
using CostConsole.Web.Escalation;

namespace CostConsole.Web.Commands;

/// <summary>What <c>evaluate-escalation</c> is asked: the labelled file, which model column answered for which tier, and whether to use the draft.</summary>
internal sealed record EvaluateEscalationOptions(string File, string Tiers, bool Draft);

/// <summary>
/// <c>evaluate-escalation --file F --tiers small=A,large=B [--draft]</c>: what the published (or draft) escalation
/// policy's gates would catch on a labelled file with answers, and what the cascade costs; prints JSON.
/// </summary>
internal static class EvaluateEscalationCommand
{
    public static Command Create(ConsoleHost host)
    {
        var file = new Option<string>("--file") { Description = "The labelled CSV or JSONL file: prompt, a True/False (or 0-1) column and a <model>_response column per model", Required = true };
        var tiers = new Option<string>("--tiers") { Description = "Which model column answered for which tier, e.g. small=MODEL_A,large=MODEL_B", Required = true };
        var draft = new Option<bool>("--draft") { Description = "Evaluate the draft escalation policy instead of the published one" };
        var command = new Command("evaluate-escalation", "Prints, as JSON, what the escalation policy's answer gates would catch on a labelled file with answers and what the cascade costs. Changes nothing.")
        {
            file, tiers, draft,
        };
        command.SetAction((parse, _) => ConsoleCommandLine.RunWithDataAsync(parse, host, services =>
            RunAsync(services, new EvaluateEscalationOptions(parse.GetValue(file)!, parse.GetValue(tiers)!, parse.GetValue(draft)))));
        return command;
    }

    public static async Task RunAsync(IServiceProvider services, EvaluateEscalationOptions options, TextWriter? output = null)
    {
        TierPair tiers;
        try
        {
            tiers = TierPair.Parse(options.Tiers);
        }
        catch (ArgumentException ex)
        {
            throw new CommandException(ex.Message);
        }

        if (!File.Exists(options.File))
        {
            throw new CommandException($"There is no file '{options.File}'.");
        }

        using var reader = new StreamReader(options.File);
        try
        {
            var result = await services.GetRequiredService<EscalationEvaluator>().EvaluateAsync(reader, tiers, options.Draft);
            await (output ?? Console.Out).WriteLineAsync(EscalationEvaluator.ToJson(result));
        }
        catch (EscalationEvaluationException ex)
        {
            throw new CommandException($"{options.File}: {ex.Message}");
        }
    }
}
