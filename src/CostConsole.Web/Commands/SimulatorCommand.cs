using System.CommandLine;
using CostConsole.Simulator;

namespace CostConsole.Web.Commands;

/// <summary>
/// <c>simulator --api-key KEY [--urls http://127.0.0.1:5090]</c>: serves the embedded simulator on its own, as an
/// OpenAI-compatible service at <c>/v1</c>, until Ctrl+C. Settings of <c>CostConsole:Simulator</c> pass through as
/// <c>--CostConsole:Simulator:LatencyScale=0.1</c>.
/// </summary>
internal static class SimulatorCommand
{
    public static Command Create()
    {
        var key = new Option<string>("--api-key")
        {
            Description = "The key clients must send as a bearer token (default: $COSTCONSOLE_SIMULATOR_KEY)",
        };
        var urls = new Option<string>("--urls")
        {
            Description = "Where to listen",
            DefaultValueFactory = _ => "http://127.0.0.1:5090",
        };
        urls.Validators.Add(result =>
        {
            var text = result.GetValueOrDefault<string>() ?? "";
            foreach (var url in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!Uri.TryCreate(url, UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
                {
                    result.AddError($"--urls takes http(s) addresses separated by ';', such as http://127.0.0.1:5090; got '{url}'.");
                    return;
                }
            }
        });
        var command = new Command("simulator", "Serves the simulated models on their own as an OpenAI-compatible service at /v1 (chat completions, embeddings, models).")
        {
            key, urls,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, _) =>
        {
            var apiKey = parse.GetValue(key) ?? Environment.GetEnvironmentVariable("COSTCONSOLE_SIMULATOR_KEY");
            if (string.IsNullOrWhiteSpace(apiKey))
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("Give the key clients must send: --api-key KEY (or COSTCONSOLE_SIMULATOR_KEY).");
                return 2;
            }

            var settings = parse.UnmatchedTokens.Where(t => t.StartsWith("--CostConsole:", StringComparison.OrdinalIgnoreCase)).ToList();
            if (parse.UnmatchedTokens.Except(settings).FirstOrDefault() is { } unknown)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"'simulator' does not take '{unknown}'. Options: --api-key, --urls, and settings as --CostConsole:Simulator:Name=value.");
                return 2;
            }

            await using var app = SimulatorServer.Build(apiKey, ["--urls", parse.GetValue(urls)!, .. settings]);
            await app.RunAsync();
            return 0;
        });
        return command;
    }
}
