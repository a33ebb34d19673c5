using CostConsole.Web.Escalation;

namespace CostConsole.Web.Commands;

/// <summary>What <c>evaluate-escalation</c> is asked: the labelled file, which model column answered for which tier, and whether to use the draft.</summary>
internal sealed record EvaluateEscalationOptions(string File, string Tiers, bool Draft)
{
    public const string Usage = "evaluate-escalation --file FILE --tiers small=MODEL_A,large=MODEL_B [--draft]";

    public static EvaluateEscalationOptions Parse(IReadOnlyList<string> args)
    {
        string? file = null, tiers = null;
        var draft = false;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--draft":
                    draft = true;
                    break;
                case "--file" when i + 1 < args.Count:
                    file = args[++i];
                    break;
                case "--tiers" when i + 1 < args.Count:
                    tiers = args[++i];
                    break;
                default:
                    throw new CommandException($"Unexpected '{args[i]}'. Usage: {Usage}");
            }
        }

        return file is null || tiers is null
            ? throw new CommandException($"Both --file and --tiers are needed. Usage: {Usage}")
            : new EvaluateEscalationOptions(file, tiers, draft);
    }
}

/// <summary>
/// <c>evaluate-escalation --file F --tiers small=A,large=B [--draft]</c>: what the published (or draft) escalation
/// policy's gates would catch on a labelled file with answers, and what the cascade costs; prints JSON.
/// </summary>
internal static class EvaluateEscalationCommand
{
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
