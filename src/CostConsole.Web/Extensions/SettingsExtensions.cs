using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;

namespace CostConsole.Web.Extensions;

internal static class SettingsExtensions
{
    /// <summary>
    /// Reads the repository root's appsettings.{Environment}.json (copied next to the binaries) with the same
    /// precedence as the usual environment file: above appsettings.json, below environment variables and the command line.
    /// </summary>
    public static WebApplicationBuilder AddRootSettings(this WebApplicationBuilder builder)
    {
        var name = $"appsettings.{builder.Environment.EnvironmentName}.json";
        if (!File.Exists(Path.Combine(AppContext.BaseDirectory, name)))
        {
            return builder;
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
        return builder;
    }
}
