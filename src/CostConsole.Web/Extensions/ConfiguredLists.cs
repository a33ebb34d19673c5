namespace CostConsole.Web.Extensions;

/// <summary>
/// Lists in configuration — tiers, providers, models, the tier mapping, the simulator's models — are replaced whole by
/// the highest source that gives them (an appsettings.Production.json, environment variables, the command line),
/// instead of being merged item by item by position, which would leave the simulator's defaults under a real upstream.
/// </summary>
internal static class ConfiguredLists
{
    public static readonly IReadOnlyList<string> Paths =
    [
        "CostConsole:Tiers",
        "CostConsole:Catalogue:Providers",
        "CostConsole:Catalogue:Models",
        "CostConsole:Catalogue:TierMapping",
        "CostConsole:Simulator:Models",
    ];

    /// <summary>Wraps every source present now, so a later one that gives a list hides the earlier ones' copies of it.</summary>
    public static void ReplaceWhole(IConfigurationBuilder configuration)
    {
        var sources = configuration.Sources;
        var order = new Layers();
        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i] is not LayeredSource)
            {
                sources[i] = new LayeredSource(sources[i], i, order);
            }
        }
    }

    /// <summary>The providers of the wrapped sources by position, filled in as the configuration builds them.</summary>
    private sealed class Layers
    {
        private readonly Dictionary<int, IConfigurationProvider> _providers = [];

        public void Set(int position, IConfigurationProvider provider)
        {
            lock (_providers)
            {
                _providers[position] = provider;
            }
        }

        /// <summary>Whether a source after <paramref name="position"/> gives any key under the list <paramref name="path"/>.</summary>
        public bool GivenAfter(int position, string path)
        {
            lock (_providers)
            {
                return _providers.Any(p => p.Key > position && p.Value.GetChildKeys([], path).Any());
            }
        }
    }

    private sealed class LayeredSource(IConfigurationSource inner, int position, Layers layers) : IConfigurationSource
    {
        public IConfigurationProvider Build(IConfigurationBuilder builder)
        {
            var provider = inner.Build(builder);
            layers.Set(position, provider);
            return new LayeredProvider(provider, position, layers);
        }
    }

    private sealed class LayeredProvider(IConfigurationProvider inner, int position, Layers layers) : IConfigurationProvider
    {
        public bool TryGet(string key, out string? value)
        {
            if (Hidden(key))
            {
                value = null;
                return false;
            }

            return inner.TryGet(key, out value);
        }

        public IEnumerable<string> GetChildKeys(IEnumerable<string> earlierKeys, string? parentPath) =>
            parentPath is not null && Hidden(parentPath) ? earlierKeys : inner.GetChildKeys(earlierKeys, parentPath);

        public void Set(string key, string? value) => inner.Set(key, value);

        public Microsoft.Extensions.Primitives.IChangeToken GetReloadToken() => inner.GetReloadToken();

        public void Load() => inner.Load();

        public override string? ToString() => inner.ToString();

        private bool Hidden(string key)
        {
            foreach (var path in Paths)
            {
                if (key.StartsWith(path, StringComparison.OrdinalIgnoreCase)
                    && (key.Length == path.Length || key[path.Length] == ':'))
                {
                    return layers.GivenAfter(position, path);
                }
            }

            return false;
        }
    }
}
