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
    double? MaxTopShare = null);

/// <summary>
/// <c>train-router --file F [--tiers small=modelA,large=modelB] [--quality-target 0.9 | --max-large-share 0.2]
/// [--name N] [--out model.json]</c>: trains a router on the file's held-out split and prints the metrics as JSON,
/// beside the published router. <c>--default-set DIR</c> instead of <c>--file</c> trains the shipped default.
/// </summary>
internal static class TrainRouterCommand
{
    public static TrainRouterOptions Parse(string[] args)
    {
        var options = new CommandArgs(args, "file", "tiers", "default-set", "out", "name", "version", "quality-target", "max-large-share");
        var file = options.Text("file");
        var defaultSet = options.Text("default-set");
        if ((file is null) == (defaultSet is null))
        {
            throw new CommandException("Give --file F (a labelled CSV or JSONL file) or --default-set DIR (the routing-train folder), not both.");
        }

        return new TrainRouterOptions(
            file,
            options.Text("tiers"),
            defaultSet,
            options.Text("out"),
            options.Text("name") ?? "trained",
            (int)options.Number("version", 1, 1, 1_000_000),
            options.Number("quality-target", TrainedClassifierDefinition.DefaultQualityTarget, 0.01, 1),
            options.Text("max-large-share") is null ? null : options.Number("max-large-share", 1, 0, 1));
    }

    public static async Task RunAsync(IServiceProvider services, TrainRouterOptions options)
    {
        var training = services.GetRequiredService<RouterTrainingService>();
        LabelledSet set;
        try
        {
            set = options.DefaultSet is { } directory
                ? DefaultTrainingSet.Load(directory)
                : ReadFile(training, options.File!, options.Tiers);
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
        if (options.Out is { } path)
        {
            await File.WriteAllTextAsync(path, model.ToJson());
        }

        Console.WriteLine(JsonSerializer.Serialize(
            new { model = model.Reference, summary = model.Summary, report.QualityTarget, report.TrainExamples, report.HeldOutExamples, report.Evaluation },
            RouterTraining.JsonOptions));
    }

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
    public static EvaluateRouterOptions Parse(string[] args)
    {
        var options = new CommandArgs(args, "file", "tiers", "model", "quality-target");
        return new EvaluateRouterOptions(
            options.Text("file") ?? throw new CommandException("Give --file F: a labelled CSV or JSONL file."),
            options.Text("tiers"),
            options.Text("model"),
            options.Text("quality-target") is null ? null : options.Number("quality-target", 0.9, 0.01, 1));
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
