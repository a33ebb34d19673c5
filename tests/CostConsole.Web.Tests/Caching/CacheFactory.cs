using CostConsole.Embeddings;
using CostConsole.Routing.Embeddings;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CostConsole.Web.Tests.Caching;

/// <summary>The app with the response cache turned on, as <c>CostConsole__Cache__Enabled=true</c> does.</summary>
public sealed class CacheFactory() : CostConsoleFactory(new Dictionary<string, string?> { ["CostConsole:Cache:Enabled"] = "true" });

/// <summary>The cache on, with a MiniLM model that cannot load, as on a machine without ONNX Runtime's native library.</summary>
public sealed class CacheWithoutEmbeddingsFactory() : CostConsoleFactory(new Dictionary<string, string?> { ["CostConsole:Cache:Enabled"] = "true" })
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<IEmbedder>();
            services.AddSingleton<IEmbedder>(new MiniLmEmbedder(new MiniLmOptions(), () => throw new DllNotFoundException("Unable to load shared library 'onnxruntime'")));
        });
    }
}
