using System.Collections.Concurrent;

namespace CostConsole.Routing.Learning;

/// <summary>
/// Trained router models that ship inside this assembly (Learning/Shipped/*.json, embedded), so a fresh install
/// routes sensibly before anyone trains anything. Each is read once, on first use.
/// </summary>
public static class ShippedModels
{
    /// <summary>The default router for support and CRM traffic (see the README's "Trained router" section for how it was trained).</summary>
    public const string Support = "shipped-support@1";

    private const string ResourcePrefix = "CostConsole.Routing.Learning.Shipped.";

    private static readonly ConcurrentDictionary<string, TrainedRouterModel?> Loaded = new(StringComparer.Ordinal);

    public static IReadOnlyList<string> Names { get; } =
    [
        .. typeof(ShippedModels).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".json", StringComparison.Ordinal))
            .Select(n => ToReference(n[ResourcePrefix.Length..^".json".Length]))
            .Order(StringComparer.Ordinal),
    ];

    public static TrainedRouterModel? Find(string reference) => Loaded.GetOrAdd(reference, Load);

    private static TrainedRouterModel? Load(string reference)
    {
        var at = reference.LastIndexOf('@');
        if (at <= 0)
        {
            return null;
        }

        var resource = ResourcePrefix + reference[..at] + "-" + reference[(at + 1)..] + ".json";
        using var stream = typeof(ShippedModels).Assembly.GetManifestResourceStream(resource);
        if (stream is null)
        {
            return null;
        }

        using var reader = new StreamReader(stream);
        return TrainedRouterModel.FromJson(reader.ReadToEnd());
    }

    // "shipped-support-1" → "shipped-support@1"
    private static string ToReference(string file)
    {
        var dash = file.LastIndexOf('-');
        return dash <= 0 ? file : file[..dash] + "@" + file[(dash + 1)..];
    }
}
