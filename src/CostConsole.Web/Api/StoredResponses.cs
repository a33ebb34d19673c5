using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Data.Keys;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Privacy;
using CostConsole.Routing.Protocols.Responses;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Api;

/// <summary>
/// Responses kept for <c>previous_response_id</c>, <c>GET</c> and <c>DELETE /v1/responses/{id}</c>. A stored response
/// holds the conversation verbatim, so only a caller whose prompt storage is <c>full</c> stores one; each key sees only its own.
/// </summary>
internal static class StoredResponses
{
    public static IEndpointRouteBuilder MapStoredResponsesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/responses");
        group.MapGet("/{id}", GetAsync);
        group.MapDelete("/{id}", DeleteAsync);
        group.MapGet("/{id}/input_items", InputItemsAsync);
        return app;
    }

    /// <summary>Null when <paramref name="caller"/> may store responses; otherwise why not, as the start of a refusal.</summary>
    public static string? Forbidden(CallerContext caller) => caller.EffectivePromptStorage == PromptStorage.Full
        ? null
        : $"This API key's prompt storage is '{PromptStorageNames.Of(caller.EffectivePromptStorage)}', and CostConsole keeps responses (which hold the "
          + "conversation verbatim) only for keys whose prompt storage is 'full' (an admin sets it on the API keys page, per team, or with CostConsole:Privacy:PromptStorage),";

    public static ChatError NotFound(string id, string? param = null) =>
        new(404, "invalid_request_error", param is null ? "response_not_found" : "previous_response_not_found",
            $"{(param is null ? "Response" : "Previous response")} with id '{id}' not found. Responses are kept only when stored by this API key, until deleted or past the retention period.", param);

    /// <summary>
    /// The storage a request of <paramref name="caller"/> works with, fetching the response it continues and the items its
    /// <c>item_reference</c>s name (<paramref name="references"/>); null when that response is not the caller's to see.
    /// </summary>
    public static async Task<ResponsesStorage?> ForAsync(
        IDbContextFactory<CostConsoleDbContext> factory, CallerContext caller, string? previousId, IReadOnlyList<string> references, CancellationToken cancellationToken)
    {
        if (Forbidden(caller) is { } forbidden)
        {
            return new ResponsesStorage { Forbidden = forbidden };
        }

        if (previousId is null && references.Count == 0)
        {
            return new ResponsesStorage();
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        PreviousResponse? stored = null;
        if (previousId is not null)
        {
            stored = await db.StoredResponses.AsNoTracking()
                .Where(r => r.Id == previousId && r.ApiKeyId == caller.ApiKeyId)
                .Select(r => new PreviousResponse(r.Id, r.Conversation, r.Response))
                .FirstOrDefaultAsync(cancellationToken);
            if (stored is null)
            {
                return null;
            }
        }

        var items = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var id in references)
        {
            // An input item's id names its response; an output item is found in the response the client received.
            var holder = ResponseItems.ResponseOf(id);
            var candidates = await db.StoredResponses.AsNoTracking()
                .Where(r => r.ApiKeyId == caller.ApiKeyId && (r.Id == holder || r.Response.Contains(id)))
                .OrderBy(r => r.Id)
                .Take(8)
                .Select(r => new PreviousResponse(r.Id, r.Conversation, r.Response))
                .ToListAsync(cancellationToken);
            if (candidates.Select(candidate => ResponseItems.Find(candidate, id)).FirstOrDefault(json => json is not null) is { } json)
            {
                items[id] = json;
            }
        }

        return new ResponsesStorage { Previous = stored, Items = items };
    }

    /// <summary>Keeps an answered request's response, before the client has it, so its next request can continue it.</summary>
    public static async Task SaveAsync(
        IDbContextFactory<CostConsoleDbContext> factory, CallerContext caller, ResponsesRequest request, string responseId, ReadOnlyMemory<byte> response)
    {
        await using var db = await factory.CreateDbContextAsync();
        db.StoredResponses.Add(new StoredResponseEntity
        {
            Id = responseId,
            ApiKeyId = caller.ApiKeyId,
            CreatedAt = caller.ReceivedAt,
            Conversation = request.Conversation!,
            Response = System.Text.Encoding.UTF8.GetString(response.Span),
        });
        await db.SaveChangesAsync();
    }

    private static async Task<IResult> GetAsync(string id, HttpContext context, ApiKeyDirectory keys, IDbContextFactory<CostConsoleDbContext> factory)
    {
        if (Admit(context, keys, out var key) is { } refusal)
        {
            return refusal;
        }

        await using var db = await factory.CreateDbContextAsync(context.RequestAborted);
        var response = await db.StoredResponses.AsNoTracking().Where(r => r.Id == id && r.ApiKeyId == key.Id).Select(r => r.Response).FirstOrDefaultAsync(context.RequestAborted);
        return response is null ? ApiErrors.Result(NotFound(id)) : Results.Text(response, "application/json", System.Text.Encoding.UTF8);
    }

    /// <summary>The input items of a stored response, in the API's list shape, paged with <c>order</c>, <c>after</c> and <c>limit</c> (<c>include</c>: <see cref="InputItemIncludes"/>).</summary>
    private static async Task<IResult> InputItemsAsync(string id, HttpContext context, ApiKeyDirectory keys, IDbContextFactory<CostConsoleDbContext> factory)
    {
        if (Admit(context, keys, out var key) is { } refusal)
        {
            return refusal;
        }

        var query = context.Request.Query;
        var order = query["order"].ToString();
        if (order is not ("" or "asc" or "desc"))
        {
            return ApiErrors.Result(new ChatError(400, "invalid_request_error", "invalid_order", $"'order' is '{order}'; it must be \"asc\" or \"desc\" (newest first, the default).", "order"));
        }

        var limit = ResponseItems.DefaultLimit;
        if (query.ContainsKey("limit") && (!int.TryParse(query["limit"], out limit) || limit is < 1 or > ResponseItems.MaxLimit))
        {
            return ApiErrors.Result(new ChatError(400, "invalid_request_error", "invalid_limit",
                $"'limit' is '{query["limit"]}'; it must be a whole number from 1 to {ResponseItems.MaxLimit} (default {ResponseItems.DefaultLimit}).", "limit"));
        }

        if (InputItemIncludes.Check(query) is { } include)
        {
            return ApiErrors.Result(include);
        }

        await using var db = await factory.CreateDbContextAsync(context.RequestAborted);
        var stored = await db.StoredResponses.AsNoTracking().Where(r => r.Id == id && r.ApiKeyId == key.Id)
            .Select(r => new { r.Id, r.Conversation }).FirstOrDefaultAsync(context.RequestAborted);
        if (stored is null)
        {
            return ApiErrors.Result(NotFound(id));
        }

        var after = query.ContainsKey("after") ? query["after"].ToString() : null;
        var page = ResponseItems.Page(ResponseItems.Input(stored.Id, stored.Conversation), order == "asc", after, limit);
        return page is null
            ? ApiErrors.Result(new ChatError(400, "invalid_request_error", "invalid_after",
                $"'after' is '{after}', which is not an input item of response '{id}': send the id of an item from an earlier page (its last_id).", "after"))
            : Results.Bytes(page, "application/json");
    }

    private static async Task<IResult> DeleteAsync(string id, HttpContext context, ApiKeyDirectory keys, IDbContextFactory<CostConsoleDbContext> factory)
    {
        if (Admit(context, keys, out var key) is { } refusal)
        {
            return refusal;
        }

        await using var db = await factory.CreateDbContextAsync(context.RequestAborted);
        var deleted = await db.StoredResponses.Where(r => r.Id == id && r.ApiKeyId == key.Id).ExecuteDeleteAsync(context.RequestAborted);
        return deleted == 0 ? ApiErrors.Result(NotFound(id)) : TypedResults.Json(new DeletedResponse(id, "response", true));
    }

    private static IResult? Admit(HttpContext context, ApiKeyDirectory keys, out ApiKeyInfo key)
    {
        key = keys.Authenticate(context.Request.Headers.Authorization)!;
        return key is null ? ApiErrors.Result(ApiErrors.Unauthorized)
            : !key.Has(KeyScopes.Inference) ? ApiErrors.Result(ApiErrors.MissingScope(key.Scopes, KeyScopes.Inference))
            : null;
    }

    private sealed record DeletedResponse(
        [property: System.Text.Json.Serialization.JsonPropertyName("id")] string Id,
        [property: System.Text.Json.Serialization.JsonPropertyName("object")] string Object,
        [property: System.Text.Json.Serialization.JsonPropertyName("deleted")] bool Deleted);
}
