using CostConsole.Routing.Pipeline;
using Microsoft.Extensions.Primitives;

namespace CostConsole.Web.Api;

/// <summary>
/// <c>include</c> on <c>GET /v1/responses/{id}/input_items</c> (sent as <c>include=…</c> or, by the official clients,
/// <c>include[]=…</c>). Every value the Responses API documents is accepted, and none changes the list: each asks for
/// data a stored input item here never has — an input image's URL or a computer call's screenshot (CostConsole routes
/// text only and refuses images), hosted tool results and reasoning (hosted tools are refused), output logprobs (not
/// kept). Any other value is refused with a 400 naming the parameter, as the API does.
/// </summary>
internal static class InputItemIncludes
{
    private static readonly string[] Documented =
    [
        "file_search_call.results", "web_search_call.results", "web_search_call.action.sources", "message.input_image.image_url",
        "computer_call_output.output.image_url", "code_interpreter_call.outputs", "reasoning.encrypted_content", "message.output_text.logprobs",
    ];

    /// <summary>Null when every value of <c>include</c> is one the API documents; otherwise the error naming the first that is not.</summary>
    public static ChatError? Check(IQueryCollection query)
    {
        foreach (var value in StringValues.Concat(query["include"], query["include[]"]))
        {
            if (value is null || !Documented.Contains(value, StringComparer.Ordinal))
            {
                return new ChatError(400, "invalid_request_error", "invalid_value",
                    $"Invalid value for 'include': '{value}'. Supported values are: {string.Join(", ", Documented.Select(v => $"'{v}'"))}.", "include");
            }
        }

        return null;
    }
}
