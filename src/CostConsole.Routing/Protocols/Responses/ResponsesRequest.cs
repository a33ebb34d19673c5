using CostConsole.Routing.Requests;

namespace CostConsole.Routing.Protocols.Responses;

/// <summary>
/// An OpenAI Responses request, translated once into the router's <see cref="ChatRequest"/> (which every rule,
/// classifier, budget and the upstream call read), plus what the response object echoes back to the client.
/// </summary>
public sealed class ResponsesRequest : IDisposable
{
    /// <summary>The same request as chat completions: what the pipeline routes, calls upstream with and records.</summary>
    public required ChatRequest Chat { get; init; }

    public bool Stream => Chat.Stream;

    /// <summary>The <c>instructions</c> sent, echoed in the response object.</summary>
    public string? Instructions { get; init; }

    /// <summary>Echoed fields as the client sent them (raw JSON), or null when absent.</summary>
    public string? ToolsJson { get; init; }

    public string? ToolChoiceJson { get; init; }

    public string? TextJson { get; init; }

    public string? MetadataJson { get; init; }

    public double? Temperature { get; init; }

    public double? TopP { get; init; }

    public int? MaxOutputTokens { get; init; }

    public bool ParallelToolCalls { get; init; } = true;

    /// <summary>
    /// Fields the request set that CostConsole accepts but does not act on (such as <c>reasoning</c> or <c>include</c>),
    /// in the order sent: the host names them in a warning header so nothing is dropped silently.
    /// </summary>
    public IReadOnlyList<string> Ignored { get; init; } = [];

    /// <summary>Whether the response is kept for later requests (<c>store</c>, on unless sent false, and allowed by the caller's policy).</summary>
    public bool Store { get; init; }

    /// <summary>The stored response this request continues, echoed in the response object.</summary>
    public string? PreviousResponseId { get; init; }

    /// <summary>
    /// When <see cref="Store"/>: the conversation up to and including this request's input, as chat completions messages
    /// without the instructions; what a later request continuing this response is sent before its own input.
    /// </summary>
    public string? Conversation { get; init; }

    public void Dispose() => Chat.Dispose();
}

/// <summary>
/// What stored responses mean for one request, as the host knows them: whether its caller may store responses (its
/// prompt storage policy) and the stored response it continues, fetched for the caller's key.
/// </summary>
public sealed record ResponsesStorage
{
    /// <summary>For a caller that may not store: nothing is stored, and <c>store: true</c> or <c>previous_response_id</c> is refused.</summary>
    public static ResponsesStorage Unavailable { get; } = new() { Forbidden = "CostConsole stores no responses for this request," };

    /// <summary>Null when the caller may store responses; otherwise the start of the refusal, saying why (ends with a comma).</summary>
    public string? Forbidden { get; init; }

    /// <summary>The response named by <c>previous_response_id</c>, when the request names one the caller can see.</summary>
    public PreviousResponse? Previous { get; init; }

    /// <summary>The items the request's <c>item_reference</c>s name that the caller can see, by id, each as an input item's JSON.</summary>
    public IReadOnlyDictionary<string, string> Items { get; init; } = new Dictionary<string, string>();
}

/// <summary>A stored response: its id, its conversation up to its input (chat messages JSON) and the response object (JSON).</summary>
public sealed record PreviousResponse(string Id, string Conversation, string Response);
