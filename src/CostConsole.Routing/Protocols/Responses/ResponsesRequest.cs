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

    public void Dispose() => Chat.Dispose();
}
