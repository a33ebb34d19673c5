using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Requests;

namespace CostConsole.Routing.Providers;

/// <summary>
/// Sends each call to the invoker for the protocol its provider speaks (see <see cref="ProviderEndpoint.Protocol"/>).
/// Every invoker answers in chat completions, so fallback and escalation may cross protocols freely.
/// </summary>
public sealed class ProtocolModelInvoker(IModelInvoker chat, IReadOnlyDictionary<ProviderProtocol, IModelInvoker> others) : IModelInvoker
{
    public Task<UpstreamReply> CompleteAsync(RoutedModel target, ChatRequest request, CancellationToken cancellationToken) =>
        For(target).CompleteAsync(target, request, cancellationToken);

    public Task<UpstreamStream> OpenStreamAsync(RoutedModel target, ChatRequest request, CancellationToken cancellationToken) =>
        For(target).OpenStreamAsync(target, request, cancellationToken);

    public Task<UpstreamReply> CompleteAsync(RoutedModel target, ChatRequest request, UpstreamOptions options, CancellationToken cancellationToken) =>
        For(target).CompleteAsync(target, request, options, cancellationToken);

    public Task<UpstreamStream> OpenStreamAsync(RoutedModel target, ChatRequest request, UpstreamOptions options, CancellationToken cancellationToken) =>
        For(target).OpenStreamAsync(target, request, options, cancellationToken);

    /// <summary>Embeddings are an OpenAI-compatible call whatever the provider's chat protocol.</summary>
    public Task<EmbeddingReply> EmbedAsync(RoutedModel target, IReadOnlyList<string> inputs, CancellationToken cancellationToken) =>
        For(target).EmbedAsync(target, inputs, cancellationToken);

    /// <summary>The same with a number of dimensions asked for, passed on to the invoker that calls the provider.</summary>
    public Task<EmbeddingReply> EmbedAsync(RoutedModel target, IReadOnlyList<string> inputs, int? dimensions, CancellationToken cancellationToken) =>
        For(target).EmbedAsync(target, inputs, dimensions, cancellationToken);

    private IModelInvoker For(RoutedModel target) =>
        target.Provider.Protocol != ProviderProtocol.Chat && others.TryGetValue(target.Provider.Protocol, out var invoker) ? invoker : chat;
}

/// <summary>The invokers a host needs for every protocol a provider may speak.</summary>
public static class UpstreamInvokers
{
    public static IModelInvoker Create(ILocalServerAddress local, Tokens.ITokenCounter tokens, HttpMessageHandler? handler = null) =>
        new Passthrough.PassthroughModelInvoker(new ProtocolModelInvoker(
            new OpenAIModelInvoker(local, tokens, handler),
            new Dictionary<ProviderProtocol, IModelInvoker>
            {
                [ProviderProtocol.Anthropic] = new Anthropic.AnthropicModelInvoker(local, handler),
            }), local, handler);
}
