using System.CommandLine;
using System.Text.Json;
using CostConsole.Routing.Learning;
using CostConsole.Routing.Rules;
using CostConsole.Training;
using CostConsole.Web.Routing;

namespace CostConsole.Web.Commands;

/// <summary>The options of <c>train-router</c>.</summary>
/// <param name="File">A labelled CSV or JSONL file; or null with <paramref name="DefaultSet"/>.</param>
/// <param name="Tiers">Model columns per tier (small=modelA,large=modelB) for the per-model shape.</param>
/// <param name="DefaultSet">The routing-train folder: train the shipped default's set instead of a file.</param>
/// <param name="Out">Where to write the trained model (JSON); nothing is written without it.</param>
internal sealed record TrainRouterOptions(
    string? File,
    string? Tiers,
    string? DefaultSet,
    string? Out,
    string Name = "trained",
    int Version = 1,
    double QualityTarget = TrainedClassifierDefinition.DefaultQualityTarget,
    double? MaxTopShare = null,
    bool Save = false)
{
    /// <summary>Train on the ledger's labelled requests instead of a file: the range's start and end (exclusive).</summary>
    public (DateTimeOffset From, DateTimeOffset To)? Ledger { get; init; }
}

/// <summary>
/// <c>train-router --file F [--tiers small=modelA,large=modelB] [--quality-target 0.9 | --max-large-share 0.2]
/// [--name N] [--out model.json] [--save]</c>: trains a router on the file's held-out split and prints the metrics as JSON,
/// beside the published router. <c>--default-set DIR</c> instead of <c>--file</c> trains the shipped default; <c>--save</c>
/// stores the model in the database as the next version of its name, as <c>POST /api/router/train</c> with save=true does.
/// </summary>
internal static class TrainRouterCommand
{
    public static Command Create(ConsoleHost host)
    {
        var file = new Option<string?>("--file") { Description = "A labelled CSV or JSONL file: prompt,tier or prompt plus one True/False (or 0-1) column per model" };
        var tiers = new Option<string?>("--tiers") { Description = "Model columns per tier for the per-model shape, e.g. small=MODEL_A,large=MODEL_B" };
        var defaultSet = new Option<string?>("--default-set") { Description = "The routing-train folder: train the shipped default's set instead of a file" };
        var output = new Option<string?>("--out") { Description = "Where to write the trained model (JSON); nothing is written without it" };
        var name = new Option<string>("--name") { Description = "The trained model's name", DefaultValueFactory = _ => "trained" };
        var version = ConsoleCommandLine.Number("--version", "The trained model's version", 1, 1, 1_000_000);
        var target = ConsoleCommandLine.Number("--quality-target", "The chance of an acceptable answer the cheapest chosen tier must reach", TrainedClassifierDefinition.DefaultQualityTarget, 0.01, 1.0);
        var maxLarge = new Option<double?>("--max-large-share") { Description = "At most this share (0 to 1) of requests to the top tier, instead of a quality target" };
        var save = new Option<bool>("--save") { Description = "Store the model in the database as the next version of its name (printed as \"model\": name@version), for a rule set or the shadow to name" };
        var fromLedger = new Option<bool>("--from-ledger") { Description = "Train on the ledger's labelled requests (feedback, escalations, judge scores, reviews) instead of a file" };
        var ledgerFrom = new Option<DateTimeOffset?>("--from") { Description = "With --from-ledger: the first day to read (default: 7 days ago), UTC" };
        var ledgerTo = new Option<DateTimeOffset?>("--to") { Description = "With --from-ledger: the last day to read, inclusive (default: today), UTC" };
        var command = new Command("train-router", "Trains the tier router on a labelled file's training split and prints its held-out metrics as JSON, beside the published router.")
        {
            file, tiers, defaultSet, output, name, version, target, maxLarge, fromLedger, ledgerFrom, ledgerTo, save,
        };
        command.SetAction((parse, _) => ConsoleCommandLine.RunAsync(parse, async () =>
        {
            var path = parse.GetValue(file);
            var folder = parse.GetValue(defaultSet);
            var ledger = parse.GetValue(fromLedger);
            if ((path is null ? 0 : 1) + (folder is null ? 0 : 1) + (ledger ? 1 : 0) != 1)
            {
                throw new CommandException("Give one of --file F (a labelled CSV or JSONL file), --default-set DIR (the routing-train folder) or --from-ledger [--from DAY --to DAY].");
            }

            var today = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero);
            var range = ledger ? (parse.GetValue(ledgerFrom) ?? today.AddDays(-7), (parse.GetValue(ledgerTo) ?? today).AddDays(1)) : ((DateTimeOffset, DateTimeOffset)?)null;

            if (parse.GetValue(maxLarge) is { } share && (share < 0 || share > 1))
            {
                throw new CommandException($"--max-large-share must be a number from 0 to 1; got {share}.");
            }

            if (parse.GetValue(save) && parse.GetResult(version) is { Implicit: false })
            {
                throw new CommandException("--version cannot be given with --save: a stored model takes the next version of its name.");
            }

            await using var app = await OpenDataAsync(host);
            await RunAsync(app.Services, new TrainRouterOptions(
                path, parse.GetValue(tiers), folder, parse.GetValue(output), parse.GetValue(name)!, parse.GetValue(version), parse.GetValue(target), parse.GetValue(maxLarge), parse.GetValue(save)) { Ledger = range });
        }));
        return command;
    }

    public static async Task RunAsync(IServiceProvider services, TrainRouterOptions options)
    {
        var training = services.GetRequiredService<RouterTrainingService>();
        LabelledSet set;
        LedgerTrainingSummary? ledger = null;
        try
        {
            if (options.Ledger is { } range)
            {
                (set, ledger) = await services.GetRequiredService<LedgerTrainingData>().ReadAsync(range.From, range.To);
            }
            else
            {
                set = options.DefaultSet is { } directory
                    ? DefaultTrainingSet.Load(directory)
                    : ReadFile(training, options.File!, options.Tiers);
            }
        }
        catch (LabelledFileException ex)
        {
            throw new CommandException(ex.Message);
        }

        var report = training.Train(set, new RouterTrainingSettings
        {
            Name = options.Name,
            QualityTarget = options.QualityTarget,
            MaxTopShare = options.MaxTopShare,
        });
        var model = report.Model with { Version = options.Version };
        if (options.Save)
        {
            try
            {
                model = await services.GetRequiredService<TrainedModelService>().StoreAsync(report.Model, $"cli ({Environment.UserName})");
            }
            catch (Exception ex) when (Unreachable(ex))
            {
                throw new CommandException($"The model was trained but could not be stored: the database cannot be reached ({ex.GetBaseException().Message}). Nothing was stored; check CostConsole:Database and run again.");
            }
        }

        if (options.Out is { } path)
        {
            await File.WriteAllTextAsync(path, model.ToJson());
        }

        Console.WriteLine(JsonSerializer.Serialize(
            new { model = model.Reference, saved = options.Save, summary = model.Summary, ledger, report.QualityTarget, report.TrainExamples, report.HeldOutExamples, report.Evaluation },
            RouterTraining.JsonOptions));
    }

    /// <summary>Builds the app over this console's database; a database that cannot be reached is a clear error, not a crash.</summary>
    private static async Task<WebApplication> OpenDataAsync(ConsoleHost host)
    {
        try
        {
            return await host.BuildAsync([]);
        }
        catch (Exception ex) when (Unreachable(ex))
        {
            throw new CommandException($"{(ex is InvalidOperationException ? ex.Message : "The database cannot be reached: " + ex.GetBaseException().Message)} Nothing was trained or stored.");
        }
    }

    private static bool Unreachable(Exception ex) =>
        ex is System.Data.Common.DbException or TimeoutException or Microsoft.EntityFrameworkCore.DbUpdateException
        || ex.InnerException is System.Data.Common.DbException or TimeoutException;

    internal static LabelledSet ReadFile(RouterTrainingService training, string path, string? tiers)
    {
        if (!File.Exists(path))
        {
            throw new CommandException($"The file '{path}' does not exist.");
        }

        using var stream = File.OpenRead(path);
        return training.Read(stream, path, tiers);
    }
}

/// <summary>The options of <c>evaluate-router</c>.</summary>
/// <param name="Model">A trained model file to score beside the published router; by default the published router's own model.</param>
internal sealed record EvaluateRouterOptions(string File, string? Tiers, string? Model, double? QualityTarget);

/// <summary>
/// <c>evaluate-router --file F [--tiers small=modelA,large=modelB] [--model model.json] [--quality-target 0.9]</c>:
/// scores the published router (and a trained model) on a labelled file and prints the metrics as JSON. Changes nothing.
/// </summary>
internal static class EvaluateRouterCommand
{
    public static Command Create(ConsoleHost host)
    {
        var file = new Option<string>("--file") { Description = "A labelled CSV or JSONL file", Required = true };
        var tiers = new Option<string?>("--tiers") { Description = "Model columns per tier for the per-model shape, e.g. small=MODEL_A,large=MODEL_B" };
        var model = new Option<string?>("--model") { Description = "A trained model file to score beside the published router" };
        var target = new Option<double?>("--quality-target") { Description = "The quality target to score at (0.01 to 1); by default the model's own" };
        var command = new Command("evaluate-router", "Scores the published router (and a trained model file) on a labelled file and prints the metrics as JSON. Changes nothing.")
        {
            file, tiers, model, target,
        };
        command.SetAction((parse, _) => ConsoleCommandLine.RunWithDataAsync(parse, host, services =>
        {
            if (parse.GetValue(target) is { } value && (value < 0.01 || value > 1))
            {
                throw new CommandException($"--quality-target must be a number from 0.01 to 1; got {value}.");
            }

            return RunAsync(services, new EvaluateRouterOptions(parse.GetValue(file)!, parse.GetValue(tiers), parse.GetValue(model), parse.GetValue(target)));
        }));
        return command;
    }

    public static async Task RunAsync(IServiceProvider services, EvaluateRouterOptions options)
    {
        var training = services.GetRequiredService<RouterTrainingService>();
        TrainedRouterModel? model = null;
        if (options.Model is { } path)
        {
            try
            {
                model = TrainedRouterModel.FromJson(await File.ReadAllTextAsync(path));
            }
            catch (Exception ex) when (ex is JsonException or IOException)
            {
                throw new CommandException($"The model file '{path}' cannot be read: {ex.Message}");
            }
        }

        LabelledSet set;
        try
        {
            set = TrainRouterCommand.ReadFile(training, options.File, options.Tiers);
        }
        catch (LabelledFileException ex)
        {
            throw new CommandException(ex.Message);
        }

        Console.WriteLine(JsonSerializer.Serialize(training.Evaluate(set, model, options.QualityTarget), RouterTraining.JsonOptions));
    }
}
