using CostConsole.Embeddings;
using CostConsole.Routing.Embeddings;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CostConsole.Web.Extensions;

internal static class EmbeddingsExtensions
{
    /// <summary>
    /// The local sentence model (MiniLM) as the process's <see cref="IEmbedder"/>, behind a cache by prompt hash. The
    /// model loads when a rule set first needs it; a model that cannot load is reported, never fatal.
    /// </summary>
    public static WebApplicationBuilder AddLocalEmbeddings(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<MiniLmOptions>()
            .BindConfiguration(MiniLmOptions.SectionName)
            .Validate(o => o.MaxTokens is >= 8 and <= MiniLmOptions.ModelMaxTokens, $"{MiniLmOptions.SectionName}:MaxTokens must be between 8 and {MiniLmOptions.ModelMaxTokens} (the model reads no more).")
            .Validate(o => o.IntraOpThreads is >= 1 and <= 64, $"{MiniLmOptions.SectionName}:IntraOpThreads must be between 1 and 64.")
            .Validate(o => o.CacheSize is >= 1 and <= 10_000_000, $"{MiniLmOptions.SectionName}:CacheSize must be between 1 and 10,000,000 embeddings.")
            .ValidateOnStart();
        services.TryAddSingleton(sp => new MiniLmEmbedder(sp.GetRequiredService<IOptions<MiniLmOptions>>().Value));
        services.TryAddSingleton<IEmbedder>(sp => new CachedEmbedder(
            sp.GetRequiredService<MiniLmEmbedder>(),
            new EmbeddingCache(sp.GetRequiredService<IOptions<MiniLmOptions>>().Value.CacheSize)));
        return builder;
    }
}
