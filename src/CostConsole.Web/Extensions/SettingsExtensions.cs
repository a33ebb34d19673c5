using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;

namespace CostConsole.Web.Extensions;

internal static class SettingsExtensions
{
    /// <summary>
    /// Reads the repository root's appsettings.{Environment}.json (copied next to the binaries) with the same
    /// precedence as the usual environment file: above appsettings.json, below environment variables and the command line.
    /// Then makes the configured lists replace each other whole (<see cref="ConfiguredLists"/>).
    /// </summary>
    public static WebApplicationBuilder AddRootSettings(this WebApplicationBuilder builder)
    {
        AddEnvironmentFile(builder);
        ConfiguredLists.ReplaceWhole(builder.Configuration);
        return builder;
    }

    private static void AddEnvironmentFile(WebApplicationBuilder builder)
    {
        var name = $"appsettings.{builder.Environment.EnvironmentName}.json";
        if (!File.Exists(Path.Combine(AppContext.BaseDirectory, name)))
        {
            return;
        }

        var sources = builder.Configuration.Sources;
        var index = -1;
        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i] is JsonConfigurationSource json && json.Path is { } path && (path == name || path == "appsettings.json"))
            {
                index = i;
            }
        }

        sources.Insert(index + 1, new JsonConfigurationSource
        {
            FileProvider = new PhysicalFileProvider(AppContext.BaseDirectory),
            Path = name,
            Optional = true,
            ReloadOnChange = false,
        });
    }
}

internal static class CostConsoleHosting
{
    /// <summary>
    /// The host's options: the content root is the app's own folder (where appsettings.json, the data folder default
    /// and the static assets' manifest are), whatever directory it is started from, unless <c>--contentRoot</c> or
    /// <c>ASPNETCORE_CONTENTROOT</c> names another.
    /// </summary>
    public static WebApplicationOptions Options(string[] args) => new()
    {
        Args = args,
        ContentRootPath = NamesContentRoot(args) ? null : AppContext.BaseDirectory,
    };

    private static bool NamesContentRoot(string[] args) =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ASPNETCORE_CONTENTROOT"))
        || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOTNET_CONTENTROOT"))
        || args.Any(a => a.TrimStart('-', '/').StartsWith("contentRoot", StringComparison.OrdinalIgnoreCase));
}
