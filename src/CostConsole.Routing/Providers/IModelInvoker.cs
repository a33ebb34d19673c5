using CostConsole.Routing.Decisions;
using CostConsole.Routing.Requests;

namespace CostConsole.Routing.Providers;

/// <summary>Calls one model of one provider. Fallback across models is the pipeline's job, not the invoker's.</summary>
public interface IModelInvoker
{
    Task<UpstreamReply> CompleteAsync(RoutedModel target, ChatRequest request, CancellationToken cancellationToken);

    /// <summary>Opens a stream; a failure before the first event comes back as <see cref="UpstreamStream.Failure"/>.</summary>
    Task<UpstreamStream> OpenStreamAsync(RoutedModel target, ChatRequest request, CancellationToken cancellationToken);
}

/// <summary>Where this process itself listens, for providers served in-process (the simulator).</summary>
public interface ILocalServerAddress
{
    Uri BaseAddress { get; }
}
