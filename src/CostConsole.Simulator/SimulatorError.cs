using System.Globalization;
using System.Text.Json;

namespace CostConsole.Simulator;

/// <summary>An OpenAI-shaped error response, so clients handle simulated failures exactly like real ones.</summary>
internal sealed class SimulatorError : IResult
{
    private SimulatorError(int statusCode, string message, string type, string? param, string? code)
    {
        StatusCode = statusCode;
        Message = message;
        Type = type;
        Param = param;
        Code = code;
    }

    public int StatusCode { get; }

    public string Message { get; }

    public string Type { get; }

    public string? Param { get; }

    public string? Code { get; }

    public int? RetryAfterSeconds { get; private init; }

    public static SimulatorError InvalidRequest(string message, string? param) =>
        new(StatusCodes.Status400BadRequest, message, "invalid_request_error", param, null);

    public static SimulatorError MalformedJson(string detail) =>
        new(StatusCodes.Status400BadRequest,
            $"We could not parse the JSON body of your request ({detail}). Send a valid JSON object with Content-Type: application/json.",
            "invalid_request_error", null, null);

    public static SimulatorError NotServed { get; } =
        new(StatusCodes.Status404NotFound,
            "The embedded simulator is off: no provider in the catalogue uses it. Add a provider with the base URL /sim/v1 to turn it on.",
            "invalid_request_error", null, "not_found");

    public static SimulatorError Unauthorized { get; } =
        new(StatusCodes.Status401Unauthorized,
            "The simulator needs an API key outside Development. Send 'Authorization: Bearer <key>' with the key set in CostConsole:Simulator:ApiKey.",
            "invalid_request_error", null, "invalid_api_key");

    public static SimulatorError TooLarge(long limit) =>
        new(StatusCodes.Status413RequestEntityTooLarge,
            $"The request body is larger than the {limit:N0} bytes the simulator accepts.",
            "invalid_request_error", null, "request_too_large");

    public static SimulatorError NotFound(string message) =>
        new(StatusCodes.Status404NotFound, message, "invalid_request_error", null, "not_found");

    public static SimulatorError ModelNotFound(string model, IEnumerable<string> available) =>
        new(StatusCodes.Status404NotFound,
            $"The model '{model}' does not exist in the simulator. Available models: {string.Join(", ", available)}.",
            "invalid_request_error", "model", "model_not_found");

    public static SimulatorError ServerError(string model) =>
        new(StatusCodes.Status500InternalServerError,
            $"The simulated model '{model}' failed on purpose (ErrorRate fault injection). Retry the request or lower ErrorRate.",
            "server_error", null, "simulated_error");

    public static SimulatorError RateLimited(SimulatedModelProfile profile) =>
        new(StatusCodes.Status429TooManyRequests,
            $"Rate limit reached for simulated model '{profile.Id}' (RateLimitRate fault injection). Please try again in {profile.RetryAfterSeconds}s.",
            "requests", null, "rate_limit_exceeded")
        {
            RetryAfterSeconds = profile.RetryAfterSeconds,
        };

    public static SimulatorError TimedOut(SimulatedModelProfile profile) =>
        new(StatusCodes.Status504GatewayTimeout,
            $"The simulated model '{profile.Id}' did not answer in time (TimeoutRate fault injection). Retry the request or lower TimeoutRate.",
            "server_error", null, "simulated_timeout");

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCode;
        response.ContentType = "application/json";
        if (RetryAfterSeconds is { } seconds)
        {
            response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        await using var writer = new Utf8JsonWriter(response.Body);
        writer.WriteStartObject();
        writer.WriteStartObject("error");
        writer.WriteString("message", Message);
        writer.WriteString("type", Type);
        writer.WriteString("param", Param);
        writer.WriteString("code", Code);
        writer.WriteEndObject();
        writer.WriteEndObject();
        await writer.FlushAsync(httpContext.RequestAborted);
    }
}
