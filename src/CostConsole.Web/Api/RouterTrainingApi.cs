using System.Globalization;
using System.Text.Json;
using CostConsole.Routing.Learning;
using CostConsole.Routing.Pipeline;
using CostConsole.Training;
using CostConsole.Web.Routing;

namespace CostConsole.Web.Api;

/// <summary>
/// <c>POST /api/router/train</c> and <c>POST /api/router/evaluate</c>: a labelled file in (multipart field
/// <c>file</c>, or the raw body with <c>?format=csv|jsonl</c>), metrics out as JSON. Neither changes routing;
/// train with <c>save=true</c> also stores the model as the next version of its name and returns its
/// "name@version", which a rule set's trained classifier can then name (a draft, published as usual).
/// </summary>
internal static class RouterTrainingApi
{
    public static IEndpointRouteBuilder MapRouterTrainingApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/router").RequireAuthorization(Access.Policies.RouterTrainingApi).DisableAntiforgery();
        group.MapPost("/train", TrainAsync);
        group.MapPost("/evaluate", EvaluateAsync);
        RouterLearningApi.Map(group);
        return app;
    }

    private static async Task<IResult> TrainAsync(HttpContext context, RouterTrainingService training, TrainedModelService models)
    {
        var (set, fields, error) = string.Equals(context.Request.Query["source"], "ledger", StringComparison.OrdinalIgnoreCase)
            ? await RouterLearningApi.ReadLedgerAsync(context)
            : await ReadAsync(context, training);
        if (error is not null)
        {
            return ApiErrors.Result(error);
        }

        var settings = new RouterTrainingSettings { Name = fields.GetValueOrDefault("name") ?? "trained" };
        if (Number(fields, "quality_target", 0.01, 1, out var target) is { } badTarget)
        {
            return ApiErrors.Result(badTarget);
        }

        if (Number(fields, "max_large_share", 0, 1, out var share) is { } badShare)
        {
            return ApiErrors.Result(badShare);
        }

        if (Flag(fields, "save", out var save) is { } badSave)
        {
            return ApiErrors.Result(badSave);
        }

        settings = settings with { QualityTarget = target ?? settings.QualityTarget, MaxTopShare = share };
        RouterTrainingReport report;
        try
        {
            report = await Task.Run(() => training.Train(set!, settings, null, context.RequestAborted), context.RequestAborted);
        }
        catch (LabelledFileException ex)
        {
            return ApiErrors.Result(Invalid(ex));
        }

        var model = report.Model;
        if (save)
        {
            // Stored even if the client goes away now: the model is trained, and a stored version changes no routing.
            model = await models.StoreAsync(model, context.User.Identity?.Name ?? "api", CancellationToken.None);
        }

        return Results.Json(new
        {
            model = model.Reference,
            saved = save,
            model.Summary,
            ledger = context.Items[RouterLearningApi.LedgerSummaryKey],
            report.QualityTarget,
            report.TrainExamples,
            report.HeldOutExamples,
            report.Evaluation,
            report.PublishedModel,
            report.PublishedModelEvaluation,
            modelJson = fields.GetValueOrDefault("include_model") == "true" ? model.ToJson() : null,
        }, RouterTraining.JsonOptions);
    }

    private static async Task<IResult> EvaluateAsync(HttpContext context, RouterTrainingService training)
    {
        var (set, fields, error) = await ReadAsync(context, training);
        if (error is not null)
        {
            return ApiErrors.Result(error);
        }

        if (Number(fields, "quality_target", 0.01, 1, out var target) is { } badTarget)
        {
            return ApiErrors.Result(badTarget);
        }

        TrainedRouterModel? model = null;
        if (fields.GetValueOrDefault("model") is { Length: > 0 } json)
        {
            try
            {
                model = TrainedRouterModel.FromJson(json);
            }
            catch (JsonException ex)
            {
                return ApiErrors.Result(ChatError.InvalidRequest("invalid_model", $"The model is not a trained router model: {ex.Message}", "model"));
            }
        }

        var report = await Task.Run(() => training.Evaluate(set!, model, target), context.RequestAborted);
        return Results.Json(report, RouterTraining.JsonOptions);
    }

    private static async Task<(LabelledSet? Set, Dictionary<string, string> Fields, ChatError? Error)> ReadAsync(HttpContext context, RouterTrainingService training)
    {
        var request = context.Request;
        var fields = request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        if (request.ContentLength > LabelledFile.MaxBytes)
        {
            return (null, fields, ApiErrors.TooLarge(LabelledFile.MaxBytes));
        }

        Stream file;
        string fileName;
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(context.RequestAborted);
            foreach (var (key, value) in form)
            {
                fields[key] = value.ToString();
            }

            if (form.Files.GetFile("file") is not { } upload)
            {
                return (null, fields, ChatError.InvalidRequest("missing_file", "Send the labelled file as the multipart field 'file' (CSV or JSONL).", "file"));
            }

            if (upload.Length > LabelledFile.MaxBytes)
            {
                return (null, fields, ApiErrors.TooLarge(LabelledFile.MaxBytes));
            }

            file = upload.OpenReadStream();
            fileName = upload.FileName;
        }
        else
        {
            var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, context.RequestAborted);
            if (buffer.Length > LabelledFile.MaxBytes)
            {
                return (null, fields, ApiErrors.TooLarge(LabelledFile.MaxBytes));
            }

            buffer.Position = 0;
            file = buffer;
            fileName = fields.GetValueOrDefault("format")?.ToLowerInvariant() switch
            {
                "jsonl" => "upload.jsonl",
                "csv" => "upload.csv",
                _ => request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true ? "upload.jsonl" : "upload.csv",
            };
        }

        await using (file)
        {
            try
            {
                return (training.Read(file, fileName, fields.GetValueOrDefault("tiers")), fields, null);
            }
            catch (LabelledFileException ex)
            {
                return (null, fields, Invalid(ex));
            }
        }
    }

    private static ChatError Invalid(LabelledFileException ex) =>
        ChatError.InvalidRequest(ex.Message.Contains("unknown model column", StringComparison.Ordinal) ? "unknown_model_column" : "invalid_labelled_file", ex.Message, "file");

    private static ChatError? Flag(Dictionary<string, string> fields, string name, out bool value)
    {
        value = false;
        if (!fields.TryGetValue(name, out var text) || string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (bool.TryParse(text, out value))
        {
            return null;
        }

        return ChatError.InvalidRequest("invalid_value", $"'{name}' must be true or false; got '{text}'.", name);
    }

    private static ChatError? Number(Dictionary<string, string> fields, string name, double min, double max, out double? value)
    {
        value = null;
        if (!fields.TryGetValue(name, out var text) || string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max)
        {
            value = number;
            return null;
        }

        return ChatError.InvalidRequest("invalid_value", $"'{name}' must be a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}; got '{text}'.", name);
    }
}
