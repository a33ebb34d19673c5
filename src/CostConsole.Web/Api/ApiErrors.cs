using System.Text.Json;
using CostConsole.Routing.Pipeline;

namespace CostConsole.Web.Api;

/// <summary>Writes errors the way OpenAI clients expect them: <c>{"error":{"message","type","param","code"}}</c>.</summary>
internal static class ApiErrors
{
    public static ChatError Unauthorized { get; } = new(401, "invalid_request_error", "invalid_api_key",
        "Missing or unknown API key. Send 'Authorization: Bearer <key>' with a key created in CostConsole.");

    public static ChatError TooLarge(long limit) => new(413, "invalid_request_error", "request_too_large",
        $"The request body is larger than the {limit:N0} bytes this endpoint accepts.");

    /// <summary>
    /// A body sent as something other than JSON (a form, plain text) is refused as OpenAI refuses it; a request without a
    /// Content-Type is read as JSON.
    /// </summary>
    public static ChatError? NotJson(HttpRequest request) =>
        request.ContentType is null || request.HasJsonContentType()
            ? null
            : new(400, "invalid_request_error", "invalid_content_type",
                $"The request body must be JSON, sent with 'Content-Type: application/json', not '{request.ContentType}'.");

    public static ChatError RateLimited(CostConsole.Data.Keys.ApiKeyInfo key, int retryAfterSeconds) => new(429, "requests", "rate_limit_exceeded",
        $"The API key '{key.Name}' is over its limit of {Limits(key)}. Retry after {retryAfterSeconds} s.");

    private static string Limits(CostConsole.Data.Keys.ApiKeyInfo key) => (key.RequestsPerMinute, key.TokensPerMinute) switch
    {
        ({ } r, { } t) => $"{r:N0} requests and {t:N0} tokens per minute",
        ({ } r, null) => $"{r:N0} requests per minute",
        (null, { } t) => $"{t:N0} tokens per minute",
        _ => "its rate",
    };

    public static ChatError Forbidden { get; } = new(403, "permission_error", "forbidden",
        "Your role does not allow this. Ask an admin for access.");

    /// <summary>An API key whose scopes do not reach the endpoint.</summary>
    public static ChatError MissingScope(CostConsole.Data.Keys.KeyScopes held, CostConsole.Data.Keys.KeyScopes needed) => new(403, "permission_error", "insufficient_scope",
        $"This API key's scopes ({CostConsole.Data.Keys.KeyScopeNames.Describe(held)}) do not reach this endpoint, which needs {Needs(needed)}. "
        + "An admin can change the key's scopes on the console's API keys page.");

    private static string Needs(CostConsole.Data.Keys.KeyScopes needed) =>
        needed.HasFlag(CostConsole.Data.Keys.KeyScopes.Organisation) ? "organisation-wide reporting"
        : needed.HasFlag(CostConsole.Data.Keys.KeyScopes.Reporting) ? "the reporting scope"
        : "the inference scope";

    public static ChatError LedgerUnavailable { get; } = new(503, "server_error", "ledger_unavailable",
        "The request could not be recorded in the ledger, so it was not answered. Try again shortly.");

    public static byte[] Serialize(ChatError error)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, error);
        }

        return buffer.ToArray();
    }

    public static void Write(Utf8JsonWriter writer, ChatError error)
    {
        writer.WriteStartObject();
        writer.WriteStartObject("error");
        writer.WriteString("message", error.Message);
        writer.WriteString("type", error.Type);
        if (error.Param is null)
        {
            writer.WriteNull("param");
        }
        else
        {
            writer.WriteString("param", error.Param);
        }

        writer.WriteString("code", error.Code);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    public static IResult Result(ChatError error) =>
        Results.Text(System.Text.Encoding.UTF8.GetString(Serialize(error)), "application/json", System.Text.Encoding.UTF8, error.Status);

    public static async Task WriteAsync(HttpResponse response, ChatError error)
    {
        response.StatusCode = error.Status;
        response.ContentType = "application/json";
        await response.Body.WriteAsync(Serialize(error));
    }
}
