using System.Globalization;
using System.Text.Json;
using CostConsole.Data.Catalogue;
using CostConsole.Data.Keys;
using CostConsole.Routing.Pipeline;
using CostConsole.Web.Batches;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace CostConsole.Web.Api;

/// <summary>
/// OpenAI's Files and Batch APIs beside <c>/v1/chat/completions</c>: upload a JSONL file of chat requests, start a batch
/// on it, follow it, cancel it, and download its output and error files. Keys, scopes, rate limits and body limits
/// apply as they do to chat completions; a key sees only its own files and batches.
/// </summary>
internal static class BatchApi
{
    /// <summary>Room for the multipart envelope around a file of the largest size allowed.</summary>
    private const long EnvelopeBytes = 64 * 1024;

    /// <summary>OpenAI's largest (and default) page of files.</summary>
    private const int MaxFilesListed = 10_000;

    private static readonly JsonSerializerOptions Json = ReadOnly(new(JsonSerializerDefaults.General) { TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver() });

    private static JsonSerializerOptions ReadOnly(JsonSerializerOptions options)
    {
        options.MakeReadOnly();
        return options;
    }

    public static IEndpointRouteBuilder MapBatchApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1");
        api.MapPost("/files", UploadAsync).DisableAntiforgery();
        api.MapGet("/files", ListFilesAsync);
        api.MapGet("/files/{id}", GetFileAsync);
        api.MapGet("/files/{id}/content", FileContentAsync);
        api.MapDelete("/files/{id}", DeleteFileAsync);
        api.MapPost("/batches", CreateAsync);
        api.MapGet("/batches", ListAsync);
        api.MapGet("/batches/{id}", GetAsync);
        api.MapPost("/batches/{id}/cancel", CancelAsync);

        // The console's download of a batch's files: signed-in users of the Batches page, not API keys.
        app.MapGet("/batches/files/{id}", ConsoleDownloadAsync).RequireAuthorization(Access.Policies.UsePlayground);
        return app;
    }

    private static async Task<IResult> UploadAsync(HttpContext context, ApiKeyDirectory keys, KeyRateLimiter limiter, BatchService batches)
    {
        if (await AdmitAsync(context, keys, limiter) is not { } key)
        {
            return Refusal(context);
        }

        var request = context.Request;
        if (!request.HasFormContentType)
        {
            return ApiErrors.Result(ChatError.InvalidRequest("invalid_content_type",
                $"Upload the file as multipart/form-data with the fields 'file' and 'purpose', not '{request.ContentType}'."));
        }

        var limit = batches.MaxFileBytes + EnvelopeBytes;
        if (request.ContentLength > limit)
        {
            return ApiErrors.Result(batches.TooLarge(request.ContentLength.Value - EnvelopeBytes));
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit;
        }

        context.Features.Set<IFormFeature>(new FormFeature(request, new FormOptions { MultipartBodyLengthLimit = limit }));
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(context.RequestAborted);
        }
        catch (Exception ex) when (ex is InvalidDataException or BadHttpRequestException)
        {
            return ApiErrors.Result(ex is BadHttpRequestException { StatusCode: 413 } || ex.Message.Contains("limit", StringComparison.OrdinalIgnoreCase)
                ? batches.TooLarge(request.ContentLength ?? limit)
                : ChatError.InvalidRequest("invalid_multipart", $"The multipart body could not be read: {ex.Message}"));
        }

        if (form.Files.GetFile("file") is not { } file)
        {
            return ApiErrors.Result(ChatError.InvalidRequest("missing_file", "The form has no 'file' field: attach the JSONL batch file as 'file'.", "file"));
        }

        if (file.Length > batches.MaxFileBytes)
        {
            return ApiErrors.Result(batches.TooLarge(file.Length));
        }

        var content = new byte[file.Length];
        await using (var stream = file.OpenReadStream())
        {
            await stream.ReadExactlyAsync(content, context.RequestAborted);
        }

        var (stored, error) = await batches.UploadAsync(key.Id, file.FileName, form["purpose"].ToString(), content, context.RequestAborted);
        return error is not null ? ApiErrors.Result(error) : Results.Json(FileObject(stored!), Json);
    }

    private static async Task<IResult> GetFileAsync(string id, HttpContext context, ApiKeyDirectory keys, KeyRateLimiter limiter, BatchService batches)
    {
        if (await AdmitAsync(context, keys, limiter) is not { } key)
        {
            return Refusal(context);
        }

        return await batches.FindFileAsync(id, key.Id, context.RequestAborted) is { } file
            ? Results.Json(FileObject(file), Json)
            : ApiErrors.Result(FileNotFound(id));
    }

    /// <summary>OpenAI's file list: <c>purpose</c>, <c>limit</c> (1 to 10,000), <c>order</c> (asc or desc) and <c>after</c>.</summary>
    private static async Task<IResult> ListFilesAsync(HttpContext context, ApiKeyDirectory keys, KeyRateLimiter limiter, BatchService batches)
    {
        if (await AdmitAsync(context, keys, limiter) is not { } key)
        {
            return Refusal(context);
        }

        var query = context.Request.Query;
        var limit = MaxFilesListed;
        if (query["limit"].ToString() is { Length: > 0 } text && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxFilesListed))
        {
            return ApiErrors.Result(ChatError.InvalidRequest("invalid_limit", $"'limit' is '{text}'; it must be a whole number from 1 to {MaxFilesListed:N0}.", "limit"));
        }

        var order = query["order"].ToString() is { Length: > 0 } o ? o : "desc";
        if (order is not ("asc" or "desc"))
        {
            return ApiErrors.Result(ChatError.InvalidRequest("invalid_order", $"'order' is '{order}'; it must be \"asc\" (oldest first) or \"desc\" (newest first).", "order"));
        }

        var purpose = query["purpose"].ToString() is { Length: > 0 } p ? p : null;
        if (purpose is not (null or FilePurposes.Batch or FilePurposes.BatchOutput))
        {
            return ApiErrors.Result(ChatError.InvalidRequest("invalid_purpose",
                $"'purpose' is '{purpose}', but this server stores only \"{FilePurposes.Batch}\" (batch input) and \"{FilePurposes.BatchOutput}\" (batch output) files.", "purpose"));
        }

        var after = query["after"].ToString() is { Length: > 0 } cursor ? cursor : null;
        if (await batches.ListFilesAsync(key.Id, purpose, after, limit, order == "asc", context.RequestAborted) is not { } listed)
        {
            return ApiErrors.Result(ChatError.InvalidRequest("invalid_after", $"'after' is '{after}', but no file of this API key has that id: pass the last_id of the previous page.", "after"));
        }

        var (page, hasMore) = listed;
        return Results.Json(new
        {
            @object = "list",
            data = page.Select(FileObject).ToList(),
            first_id = page.Count > 0 ? page[0].Id : null,
            last_id = page.Count > 0 ? page[^1].Id : null,
            has_more = hasMore,
        }, Json);
    }

    private static async Task<IResult> FileContentAsync(string id, HttpContext context, ApiKeyDirectory keys, KeyRateLimiter limiter, BatchService batches)
    {
        if (await AdmitAsync(context, keys, limiter) is not { } key)
        {
            return Refusal(context);
        }

        return await batches.ContentAsync(id, key.Id, context.RequestAborted) is { } file
            ? Results.File(file.Content, "application/jsonl", file.Filename)
            : ApiErrors.Result(FileNotFound(id));
    }

    private static async Task<IResult> DeleteFileAsync(string id, HttpContext context, ApiKeyDirectory keys, KeyRateLimiter limiter, BatchService batches)
    {
        if (await AdmitAsync(context, keys, limiter) is not { } key)
        {
            return Refusal(context);
        }

        return await batches.DeleteFileAsync(id, key.Id, context.RequestAborted)
            ? Results.Json(new { id, @object = "file", deleted = true }, Json)
            : ApiErrors.Result(FileNotFound(id));
    }

    private static async Task<IResult> CreateAsync(HttpContext context, ApiKeyDirectory keys, KeyRateLimiter limiter, BatchService batches, IOptions<CostConsoleOptions> options)
    {
        if (await AdmitAsync(context, keys, limiter) is not { } key)
        {
            return Refusal(context);
        }

        if (ApiErrors.NotJson(context.Request) is { } notJson)
        {
            return ApiErrors.Result(notJson);
        }

        var maxBytes = options.Value.MaxRequestBytes;
        if (await OpenAIApi.ReadBodyAsync(context.Request, maxBytes, context.RequestAborted) is not { } body)
        {
            return ApiErrors.Result(ApiErrors.TooLarge(maxBytes));
        }

        string? inputFileId, endpoint, window, metadata = null;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return ApiErrors.Result(ChatError.InvalidRequest("invalid_json", "The request body must be a JSON object with input_file_id, endpoint and completion_window."));
            }

            inputFileId = String(root, "input_file_id");
            endpoint = String(root, "endpoint");
            window = String(root, "completion_window");
            if (root.TryGetProperty("metadata", out var meta) && meta.ValueKind != JsonValueKind.Null)
            {
                if (meta.ValueKind != JsonValueKind.Object || meta.EnumerateObject().Count() > 16 || meta.EnumerateObject().Any(p => p.Value.ValueKind != JsonValueKind.String))
                {
                    return ApiErrors.Result(ChatError.InvalidRequest("invalid_metadata", "'metadata' must be an object of at most 16 string values.", "metadata"));
                }

                metadata = meta.GetRawText();
            }
        }
        catch (JsonException ex)
        {
            return ApiErrors.Result(ChatError.InvalidRequest("invalid_json", $"The request body is not valid JSON: {ex.Message}"));
        }

        var (batch, error) = await batches.CreateAsync(key.Id, inputFileId, endpoint, window, metadata, null, context.RequestAborted);
        return error is not null ? ApiErrors.Result(error) : Results.Json(BatchObject(batch!), Json);
    }

    private static async Task<IResult> GetAsync(string id, HttpContext context, ApiKeyDirectory keys, KeyRateLimiter limiter, BatchService batches)
    {
        if (await AdmitAsync(context, keys, limiter) is not { } key)
        {
            return Refusal(context);
        }

        return await batches.GetAsync(id, key.Id, context.RequestAborted) is { } batch
            ? Results.Json(BatchObject(batch), Json)
            : ApiErrors.Result(BatchNotFound(id));
    }

    private static async Task<IResult> ListAsync(HttpContext context, ApiKeyDirectory keys, KeyRateLimiter limiter, BatchService batches)
    {
        if (await AdmitAsync(context, keys, limiter) is not { } key)
        {
            return Refusal(context);
        }

        var query = context.Request.Query;
        var limit = 20;
        if (query["limit"].ToString() is { Length: > 0 } text && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 100))
        {
            return ApiErrors.Result(ChatError.InvalidRequest("invalid_limit", $"'limit' is '{text}'; it must be a whole number from 1 to 100.", "limit"));
        }

        var after = query["after"].ToString() is { Length: > 0 } cursor ? cursor : null;
        var (page, hasMore) = await batches.ListAsync(key.Id, after, limit, context.RequestAborted);
        return Results.Json(new
        {
            @object = "list",
            data = page.Select(BatchObject).ToList(),
            first_id = page.Count > 0 ? page[0].Batch.Id : null,
            last_id = page.Count > 0 ? page[^1].Batch.Id : null,
            has_more = hasMore,
        }, Json);
    }

    private static async Task<IResult> CancelAsync(string id, HttpContext context, ApiKeyDirectory keys, KeyRateLimiter limiter, BatchService batches)
    {
        if (await AdmitAsync(context, keys, limiter) is not { } key)
        {
            return Refusal(context);
        }

        var (batch, error) = await batches.CancelAsync(id, key.Id, context.RequestAborted);
        return error is not null ? ApiErrors.Result(error)
            : batch is null ? ApiErrors.Result(BatchNotFound(id))
            : Results.Json(BatchObject(batch), Json);
    }

    private static async Task<IResult> ConsoleDownloadAsync(string id, BatchService batches, CancellationToken cancellationToken) =>
        await batches.ContentAsync(id, null, cancellationToken) is { } file
            ? Results.File(file.Content, "application/jsonl", file.Filename)
            : Results.NotFound();

    /// <summary>The checks every call makes before it reads anything: the key, its inference scope and its rate limit.</summary>
    private static async ValueTask<ApiKeyInfo?> AdmitAsync(HttpContext context, ApiKeyDirectory keys, KeyRateLimiter limiter)
    {
        var key = keys.Authenticate(context.Request.Headers.Authorization);
        ChatError? refusal = null;
        if (key is null)
        {
            refusal = ApiErrors.Unauthorized;
        }
        else if (!key.Has(KeyScopes.Inference))
        {
            refusal = ApiErrors.MissingScope(key.Scopes, KeyScopes.Inference);
        }
        else if (await limiter.TryAcquireAsync(key) is { } retryAfter)
        {
            context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
            refusal = ApiErrors.RateLimited(key, retryAfter);
        }

        context.Items[typeof(BatchApi)] = refusal;
        return refusal is null ? key : null;
    }

    private static IResult Refusal(HttpContext context) => ApiErrors.Result((ChatError)context.Items[typeof(BatchApi)]!);

    private static string? String(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static ChatError FileNotFound(string id) => new(404, "invalid_request_error", "file_not_found", $"No file '{id}' belongs to this API key.", "id");

    private static ChatError BatchNotFound(string id) => new(404, "invalid_request_error", "batch_not_found", $"No batch '{id}' belongs to this API key.", "id");

    private static object FileObject(BatchFileView file) => new
    {
        id = file.Id,
        @object = "file",
        bytes = file.Bytes,
        created_at = file.CreatedAt.ToUnixTimeSeconds(),
        expires_at = (long?)null,
        filename = file.Filename,
        purpose = file.Purpose,
        status = "processed",
        status_details = (string?)null,
    };

    private static object BatchObject(BatchView view)
    {
        var b = view.Batch;
        JsonElement? metadata = b.MetadataJson is null ? null : JsonDocument.Parse(b.MetadataJson).RootElement.Clone();
        return new
        {
            id = b.Id,
            @object = "batch",
            endpoint = b.Endpoint,
            errors = (object?)null,
            input_file_id = b.InputFileId,
            completion_window = b.CompletionWindow,
            status = b.Status,
            output_file_id = b.OutputFileId,
            error_file_id = b.ErrorFileId,
            created_at = b.CreatedAt.ToUnixTimeSeconds(),
            in_progress_at = b.InProgressAt?.ToUnixTimeSeconds(),
            expires_at = b.ExpiresAt.ToUnixTimeSeconds(),
            finalizing_at = b.FinalizingAt?.ToUnixTimeSeconds(),
            completed_at = b.CompletedAt?.ToUnixTimeSeconds(),
            failed_at = b.FailedAt?.ToUnixTimeSeconds(),
            expired_at = b.ExpiredAt?.ToUnixTimeSeconds(),
            cancelling_at = b.CancellingAt?.ToUnixTimeSeconds(),
            cancelled_at = b.CancelledAt?.ToUnixTimeSeconds(),
            request_counts = new { total = b.Total, completed = view.Completed, failed = view.Failed },
            metadata,
        };
    }
}
