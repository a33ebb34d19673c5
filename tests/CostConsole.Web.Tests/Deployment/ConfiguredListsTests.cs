using System.Net.Http.Headers;
using System.Text.Json;
using CostConsole.Data.Catalogue;
using CostConsole.Web.Extensions;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace CostConsole.Web.Tests.Deployment;

/// <summary>The README's "Pointing at a real upstream" example, in a settings file and as environment variables.</summary>
[Collection(nameof(Shell))]
public sealed class ConfiguredListsTests
{
    private static readonly string WebOutput = Path.GetDirectoryName(typeof(Program).Assembly.Location)!;

    private static string ReadmeExample() =>
        Shell.FencedBlocks(Shell.Read("README.md"), "jsonc").Single(b => b.Contains("\"Providers\"", StringComparison.Ordinal));

    [Fact]
    public void The_readme_example_in_a_settings_file_yields_exactly_its_providers_models_and_mapping()
    {
        var configuration = new ConfigurationManager();
        configuration.AddJsonFile(Path.Combine(WebOutput, "appsettings.json"));
        var production = Path.Combine(Shell.TempFolder("lists"), "appsettings.Production.json");
        File.WriteAllText(production, ReadmeExample());
        configuration.AddJsonFile(production);
        ConfiguredLists.ReplaceWhole(configuration);

        var options = configuration.GetSection(CostConsoleOptions.Section).Get<CostConsoleOptions>()!;

        Assert.Equal(["litellm", "ollama", "openai"], options.Catalogue.Providers.Select(p => p.Name));
        Assert.Equal(["llama3.2:3b", "gpt-4.1-mini", "claude-sonnet-4-5"], options.Catalogue.Models.Select(m => m.Id));
        Assert.All(options.Catalogue.Models, model =>
        {
            Assert.Null(model.DisplayName);
            Assert.Null(model.ContextWindow);
            Assert.Empty(model.Capabilities);
        });
        Assert.Null(options.Catalogue.Models[0].CachedInputPerMillion);
        Assert.Equal(["large", "medium", "small"], options.Catalogue.TierMapping.Keys.Order());
        Assert.Equal(["llama3.2:3b"], options.Catalogue.TierMapping["small"]);
        Assert.Equal(["small", "medium", "large"], options.TierNames);
    }

    [Fact]
    public void A_list_not_given_again_keeps_the_defaults_and_a_later_source_replaces_an_earlier_one_whole()
    {
        var configuration = new ConfigurationManager();
        configuration.AddJsonFile(Path.Combine(WebOutput, "appsettings.json"));
        configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["CostConsole:Catalogue:Providers:0:Name"] = "first",
            ["CostConsole:Catalogue:Providers:1:Name"] = "second",
        });
        configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["CostConsole:Catalogue:Providers:0:Name"] = "only" });
        ConfiguredLists.ReplaceWhole(configuration);

        var options = configuration.GetSection(CostConsoleOptions.Section).Get<CostConsoleOptions>()!;

        Assert.Equal(["only"], options.Catalogue.Providers.Select(p => p.Name));
        Assert.Equal(["gpt-4.1-nano", "gpt-4.1-mini", "gpt-4.1", "text-embedding-3-small"], options.Catalogue.Models.Select(m => m.Id));
        Assert.Equal("GPT-4.1 nano (simulated)", options.Catalogue.Models[0].DisplayName);
    }

    [Fact]
    public async Task The_readme_example_as_environment_variables_puts_exactly_its_models_in_the_catalogue()
    {
        var settings = new Dictionary<string, string> { ["CostConsole:DevApiKey"] = CostConsoleFactory.ApiKey };
        using (var example = JsonDocument.Parse(ReadmeExample(), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip }))
        {
            Flatten(example.RootElement, "", settings);
        }

        await using var app = await AppProcess.StartAsync(Shell.TempFolder("lists"), settings, TestContext.Current.CancellationToken);
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", CostConsoleFactory.ApiKey);
        var csv = await http.GetStringAsync("/api/catalogue/export.csv", TestContext.Current.CancellationToken);

        // provider, model_id, display_name, tier, context_window, capabilities, enabled, input, cached input, output, since
        var rows = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(r => r.Split(',')).OrderBy(r => r[1], StringComparer.Ordinal).ToList();
        Assert.Equal(["claude-sonnet-4-5", "gpt-4.1-mini", "llama3.2:3b"], rows.Select(r => r[1]));
        Assert.Equal(["litellm", "openai", "ollama"], rows.Select(r => r[0]));
        Assert.Equal(["large", "medium", "small"], rows.Select(r => r[3]));
        Assert.All(rows, row =>
        {
            Assert.Equal(row[1], row[2]);
            Assert.Equal("", row[4]);
            Assert.DoesNotContain("logprobs", row[5], StringComparison.OrdinalIgnoreCase);
        });
        Assert.Equal("", rows[2][8]);
    }

    private static void Flatten(JsonElement element, string path, Dictionary<string, string> into)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    Flatten(property.Value, path.Length == 0 ? property.Name : path + ":" + property.Name, into);
                }

                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Flatten(item, path + ":" + index++, into);
                }

                break;
            default:
                into[path] = element.ToString();
                break;
        }
    }
}
