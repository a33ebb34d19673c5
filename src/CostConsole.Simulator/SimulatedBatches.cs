using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;

namespace CostConsole.Simulator;

/// <summary>
/// The simulator's batch interface, in OpenAI's shapes: <c>POST /files</c> (purpose=batch), <c>GET /files/{id}</c>,
/// <c>GET /files/{id}/content</c>, <c>POST /batches</c>, <c>GET /batches/{id}</c>, <c>GET /batches</c>,
/// <c>POST /batches/{id}/cancel</c>. A batch is answered whole <see cref="SimulatorOptions.BatchSeconds"/> after it was
/// created, by the same engine as chat completions (faults included, as error lines). Files and batches are kept on
/// disk, so a console that restarts while its batch is at the simulator finds it there, as it would at a real provider.
/// </summary>
internal sealed class SimulatedBatches(IOptions<SimulatorOptions> options, SimulatorSettings settings, SimulationEngine engine, TimeProvider time)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    private readonly SemaphoreSlim _gate = new(1, 1);

    private DateTimeOffset Now => time.GetUtcNow();

    private string Folder => options.Value.BatchFolder ?? Path.Combine(Path.GetTempPath(), "costconsole-simulator");

    public static async Task<IResult> UploadFile(HttpContext http, SimulatedBatches batches)
    {
        if (!http.Request.HasFormContentType)
        {
            return SimulatorError.InvalidRequest("Send the file as multipart/form-data with the fields 'file' and 'purpose'.", "file");
        }

        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        if (form["purpose"].ToString() != "batch")
        {
            return SimulatorError.InvalidRequest($"'purpose' is '{form["purpose"]}'; the simulator stores only batch input files (purpose=batch).", "purpose");
        }

        if (form.Files.GetFile("file") is not { } file)
        {
            return SimulatorError.InvalidRequest("The form has no 'file' field: attach the JSONL file as 'file'.", "file");
        }

        using var content = new MemoryStream();
        await file.CopyToAsync(content, http.RequestAborted);
        var stored = await batches.SaveFileAsync(Path.GetFileName(file.FileName), "batch", content.ToArray(), http.RequestAborted);
        return TypedResults.Ok(stored);
    }

    public static async Task<IResult> GetFile(string id, SimulatedBatches batches) =>
        await batches.LoadAsync<SimFile>(FilePath(batches.Folder, id, ".json")) is { } file ? TypedResults.Ok(file) : NotFound("file", id);

    public static async Task<IResult> FileContent(string id, SimulatedBatches batches) =>
        File.Exists(FilePath(batches.Folder, id, ".jsonl"))
            ? TypedResults.Bytes(await File.ReadAllBytesAsync(FilePath(batches.Folder, id, ".jsonl")), "application/jsonl")
            : NotFound("file", id);

    public static async Task<IResult> CreateBatch(HttpContext http, SimulatedBatches batches)
    {
        var (document, error) = await SimulatorApi.ReadJsonAsync(http);
        if (document is null)
        {
            return error!;
        }

        using (document)
        {
            var root = document.RootElement;
            var input = root.TryGetProperty("input_file_id", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString()! : null;
            if (input is null || !File.Exists(FilePath(batches.Folder, input, ".jsonl")))
            {
                return SimulatorError.InvalidRequest($"'input_file_id' must name a file uploaded to the simulator with purpose=batch; '{input}' is not one.", "input_file_id");
            }

            var endpoint = root.TryGetProperty("endpoint", out var e) ? e.GetString() : null;
            if (endpoint != "/v1/chat/completions")
            {
                return SimulatorError.InvalidRequest($"'endpoint' is '{endpoint}'; the simulator batches only /v1/chat/completions.", "endpoint");
            }

            var now = batches.Now.ToUnixTimeSeconds();
            var batch = new SimBatch
            {
                Id = "batch_sim_" + RandomNumberGenerator.GetHexString(24, lowercase: true),
                InputFileId = input,
                Endpoint = endpoint,
                CompletionWindow = root.TryGetProperty("completion_window", out var w) ? w.GetString() ?? "24h" : "24h",
                CreatedAt = now,
                ExpiresAt = now + 24 * 3600,
                InProgressAt = now,
                Metadata = root.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object ? m.Clone() : null,
                RequestCounts = new SimCounts((await File.ReadAllLinesAsync(FilePath(batches.Folder, input, ".jsonl"), http.RequestAborted)).Count(l => l.Length > 0), 0, 0),
            };
            await batches.SaveAsync(batch, http.RequestAborted);
            return TypedResults.Ok(batch);
        }
    }

    public static async Task<IResult> GetBatch(string id, SimulatedBatches batches, CancellationToken cancellationToken) =>
        await batches.AdvanceAsync(id, cancelling: false, cancellationToken) is { } batch ? TypedResults.Ok(batch) : NotFound("batch", id);

    public static async Task<IResult> CancelBatch(string id, SimulatedBatches batches, CancellationToken cancellationToken) =>
        await batches.AdvanceAsync(id, cancelling: true, cancellationToken) is { } batch ? TypedResults.Ok(batch) : NotFound("batch", id);

    public static async Task<IResult> ListBatches(SimulatedBatches batches, CancellationToken cancellationToken)
    {
        var folder = Path.Combine(batches.Folder, "batches");
        var list = new List<SimBatch>();
        if (Directory.Exists(folder))
        {
            foreach (var path in Directory.EnumerateFiles(folder, "*.json"))
            {
                if (await batches.LoadAsync<SimBatch>(path) is { } batch)
                {
                    list.Add(batch);
                }
            }
        }

        return TypedResults.Ok(new { @object = "list", data = list.OrderByDescending(b => b.CreatedAt).ToList(), has_more = false });
    }

    /// <summary>Loads the batch and, once its time has come, answers every line of it (or cancels it).</summary>
    private async Task<SimBatch?> AdvanceAsync(string id, bool cancelling, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (await LoadAsync<SimBatch>(FilePath(Folder, id, ".json", "batches")) is not { } batch)
            {
                return null;
            }

            if (batch.Status != "in_progress")
            {
                return batch;
            }

            var now = time.GetUtcNow().ToUnixTimeSeconds();
            if (cancelling)
            {
                batch = batch with { Status = "cancelled", CancellingAt = now, CancelledAt = now };
            }
            else if (time.GetUtcNow() >= DateTimeOffset.FromUnixTimeSeconds(batch.CreatedAt).AddSeconds(options.Value.BatchSeconds))
            {
                batch = await AnswerAsync(batch, cancellationToken);
            }
            else
            {
                return batch;
            }

            await SaveAsync(batch, cancellationToken);
            return batch;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<SimBatch> AnswerAsync(SimBatch batch, CancellationToken cancellationToken)
    {
        var output = new StringBuilder();
        var errors = new StringBuilder();
        int completed = 0, failed = 0;
        foreach (var text in await File.ReadAllLinesAsync(FilePath(Folder, batch.InputFileId, ".jsonl"), cancellationToken))
        {
            if (text.Length == 0)
            {
                continue;
            }

            using var line = JsonDocument.Parse(text);
            var customId = line.RootElement.GetProperty("custom_id").GetString()!;
            var requestId = "req_sim_" + RandomNumberGenerator.GetHexString(24, lowercase: true);
            var (status, body) = Answer(line.RootElement.GetProperty("body"));
            var target = status == 200 ? output : errors;
            if (status == 200)
            {
                completed++;
            }
            else
            {
                failed++;
            }
            target.Append(JsonSerializer.Serialize(new
            {
                id = "batch_req_" + RandomNumberGenerator.GetHexString(24, lowercase: true),
                custom_id = customId,
                response = new { status_code = status, request_id = requestId, body = JsonDocument.Parse(body).RootElement },
                error = (object?)null,
            }, Json)).Append('\n');
        }

        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var outputFile = output.Length > 0 ? await SaveFileAsync($"{batch.Id}_output.jsonl", "batch_output", Encoding.UTF8.GetBytes(output.ToString()), cancellationToken) : null;
        var errorFile = errors.Length > 0 ? await SaveFileAsync($"{batch.Id}_error.jsonl", "batch_output", Encoding.UTF8.GetBytes(errors.ToString()), cancellationToken) : null;
        return batch with
        {
            Status = "completed",
            FinalizingAt = now,
            CompletedAt = now,
            OutputFileId = outputFile?.Id,
            ErrorFileId = errorFile?.Id,
            RequestCounts = new SimCounts(completed + failed, completed, failed),
        };
    }

    /// <summary>One line's answer: what <c>/sim/v1/chat/completions</c> would have said, with no waiting.</summary>
    private (int Status, string Body) Answer(JsonElement body)
    {
        if (!ChatCompletionRequest.TryParse(body, out var request, out var invalid))
        {
            return (invalid.StatusCode, ErrorBody(invalid));
        }

        if (settings.Find(request.Model) is not { } profile)
        {
            var missing = SimulatorError.ModelNotFound(request.Model, settings.Models.Select(m => m.Id));
            return (missing.StatusCode, ErrorBody(missing));
        }

        var completion = engine.Simulate(request with { Stream = false }, profile);
        var fault = completion.Fault switch
        {
            SimulatedFault.ServerError => SimulatorError.ServerError(profile.Id),
            SimulatedFault.RateLimit => SimulatorError.RateLimited(profile),
            SimulatedFault.Timeout => SimulatorError.TimedOut(profile),
            _ => null,
        };
        if (fault is not null)
        {
            return (fault.StatusCode, ErrorBody(fault));
        }

        var buffer = new ArrayBufferWriter<byte>();
        var identity = new ResponseIdentity("chatcmpl-sim-" + Guid.NewGuid().ToString("N")[..24], time.GetUtcNow().ToUnixTimeSeconds(), "fp_sim_batch");
        ChatCompletionJson.WriteCompletion(buffer, completion, identity, request.Logprobs);
        return (200, Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    private static string ErrorBody(SimulatorError error) =>
        JsonSerializer.Serialize(new { error = new { message = error.Message, type = error.Type, param = error.Param, code = error.Code } }, Json);

    private async Task<SimFile> SaveFileAsync(string filename, string purpose, byte[] content, CancellationToken cancellationToken)
    {
        var file = new SimFile("file-sim-" + RandomNumberGenerator.GetHexString(24, lowercase: true), content.LongLength, time.GetUtcNow().ToUnixTimeSeconds(), filename, purpose);
        Directory.CreateDirectory(Path.Combine(Folder, "files"));
        await File.WriteAllBytesAsync(FilePath(Folder, file.Id, ".jsonl"), content, cancellationToken);
        await File.WriteAllTextAsync(FilePath(Folder, file.Id, ".json"), JsonSerializer.Serialize(file, Json), cancellationToken);
        return file;
    }

    private async Task SaveAsync(SimBatch batch, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.Combine(Folder, "batches"));
        var path = FilePath(Folder, batch.Id, ".json", "batches");
        await File.WriteAllTextAsync(path + ".tmp", JsonSerializer.Serialize(batch, Json), cancellationToken);
        File.Move(path + ".tmp", path, overwrite: true);
    }

    private async Task<T?> LoadAsync<T>(string path)
        where T : class =>
        File.Exists(path) ? JsonSerializer.Deserialize<T>(await File.ReadAllTextAsync(path), Json) : null;

    /// <summary>Ids are only ever letters, digits, '-' and '_': anything else names no file.</summary>
    private static string FilePath(string folder, string id, string extension, string kind = "files") =>
        id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            ? Path.Combine(folder, kind, id + extension)
            : Path.Combine(folder, kind, "-" + extension);

    private static IResult NotFound(string kind, string id) =>
        SimulatorError.NotFound($"No {kind} '{id}' at the simulator.");
}

internal sealed record SimFile(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("bytes")] long Bytes,
    [property: JsonPropertyName("created_at")] long CreatedAt,
    [property: JsonPropertyName("filename")] string Filename,
    [property: JsonPropertyName("purpose")] string Purpose)
{
    [JsonPropertyName("object")]
    public string Object => "file";

    [JsonPropertyName("status")]
    public string Status => "processed";
}

internal sealed record SimCounts(
    [property: JsonPropertyName("total")] int Total,
    [property: JsonPropertyName("completed")] int Completed,
    [property: JsonPropertyName("failed")] int Failed);

internal sealed record SimBatch
{
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    [JsonPropertyName("object")]
    public string Object => "batch";

    [JsonPropertyName("endpoint")]
    public required string Endpoint { get; init; }

    [JsonPropertyName("input_file_id")]
    public required string InputFileId { get; init; }

    [JsonPropertyName("completion_window")]
    public required string CompletionWindow { get; init; }

    [JsonPropertyName("status")]
    public string Status { get; init; } = "in_progress";

    [JsonPropertyName("output_file_id")]
    public string? OutputFileId { get; init; }

    [JsonPropertyName("error_file_id")]
    public string? ErrorFileId { get; init; }

    [JsonPropertyName("created_at")]
    public long CreatedAt { get; init; }

    [JsonPropertyName("in_progress_at")]
    public long? InProgressAt { get; init; }

    [JsonPropertyName("expires_at")]
    public long ExpiresAt { get; init; }

    [JsonPropertyName("finalizing_at")]
    public long? FinalizingAt { get; init; }

    [JsonPropertyName("completed_at")]
    public long? CompletedAt { get; init; }

    [JsonPropertyName("cancelling_at")]
    public long? CancellingAt { get; init; }

    [JsonPropertyName("cancelled_at")]
    public long? CancelledAt { get; init; }

    [JsonPropertyName("request_counts")]
    public SimCounts? RequestCounts { get; init; }

    [JsonPropertyName("metadata")]
    public JsonElement? Metadata { get; init; }
}
