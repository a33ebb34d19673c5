namespace CostConsole.Routing.Catalogue;

/// <summary>
/// An OpenAI-compatible upstream: a LiteLLM proxy, Ollama, vLLM, OpenAI, or the embedded simulator.
/// A base URL starting with '/' is served by this process itself (the simulator).
/// </summary>
public sealed record ProviderEndpoint(string Name, string BaseUrl, string? ApiKey, TimeSpan Timeout)
{
    public bool IsLocal => BaseUrl.StartsWith('/');
}
