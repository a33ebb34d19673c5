using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using CostConsole.Routing.Tokens;

namespace CostConsole.Routing.Requests;

/// <summary>
/// Everything rules and classifiers read from a request, small enough to keep with the ledger row, so a
/// draft rule set can re-decide past traffic exactly as it would have decided it live.
/// </summary>
public sealed record RoutingInput(
    string LastUserText,
    int UserTurns,
    bool HasTools,
    IReadOnlyDictionary<string, string> Metadata,
    IReadOnlyList<string> Tags,
    long PromptTokens)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault };

    public static RoutingInput From(ChatRequest request) => new(
        request.LastUserText,
        request.UserTurns,
        request.HasTools,
        request.Metadata,
        [.. request.Tags],
        request.PromptTokens);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static RoutingInput? FromJson(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<RoutingInput>(json, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A request that decides like the original: same last user message, turns, tools, metadata, tags and prompt tokens.</summary>
    public ChatRequest ToRequest(ITokenCounter tokens)
    {
        var body = new StringBuilder("{\"model\":\"auto\",\"messages\":[");
        for (var turn = 1; turn < UserTurns; turn++)
        {
            body.Append("{\"role\":\"user\",\"content\":\"\"},");
        }

        body.Append("{\"role\":\"user\",\"content\":").Append(JsonSerializer.Serialize(LastUserText)).Append('}').Append(']');
        if (HasTools)
        {
            body.Append(",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"tool\"}}]");
        }

        if (Metadata.Count > 0)
        {
            body.Append(",\"metadata\":").Append(JsonSerializer.Serialize(Metadata.Where(kv => kv.Key != "user").ToDictionary(kv => kv.Key, kv => kv.Value)));
            if (Metadata.TryGetValue("user", out var user))
            {
                body.Append(",\"user\":").Append(JsonSerializer.Serialize(user));
            }
        }

        body.Append('}');
        var tags = Tags.Count == 0 ? null : string.Join(", ", Tags);
        var request = ChatRequestParser.Parse(Encoding.UTF8.GetBytes(body.ToString()), tags, tokens);
        request.SetPromptTokens(PromptTokens);
        request.Replayed = true;
        return request;
    }
}
