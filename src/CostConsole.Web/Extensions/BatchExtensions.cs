using CostConsole.Routing.Providers;
using CostConsole.Web.Batches;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CostConsole.Web.Extensions;

internal static class BatchExtensions
{
    /// <summary>The Batch API's files and batches, and the runner that works through them in the background.</summary>
    public static WebApplicationBuilder AddBatches(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<BatchOptions>()
            .BindConfiguration(BatchOptions.Section)
            .Validate(o => o.MaxFileBytes > 0 && o.MaxLines > 0, "CostConsole:Batches:MaxFileBytes and MaxLines must be positive.")
            .Validate(o => o.Concurrency is > 0 and <= 256, "CostConsole:Batches:Concurrency must be between 1 and 256.")
            .Validate(o => o.PollSeconds > 0, "CostConsole:Batches:PollSeconds must be positive.")
            .Validate(o => o.LeaseSeconds >= 1, "CostConsole:Batches:LeaseSeconds must be at least 1 second.")
            .Validate(o => o.UpstreamPollSeconds > 0, "CostConsole:Batches:UpstreamPollSeconds must be positive.")
            .Validate(o => o.LineRetries is >= 0 and <= 10, "CostConsole:Batches:LineRetries must be between 0 and 10.")
            .Validate(o => o.RetryDelaySeconds >= 0, "CostConsole:Batches:RetryDelaySeconds must be zero or more.")
            .ValidateOnStart();
        builder.Services.TryAddSingleton(sp => new UpstreamBatchClient(sp.GetRequiredService<ILocalServerAddress>()));
        builder.Services.TryAddSingleton<UpstreamBatches>();
        builder.Services.TryAddSingleton<BatchRunner>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<BatchRunner>());
        builder.Services.TryAddSingleton<BatchService>();
        return builder;
    }
}
