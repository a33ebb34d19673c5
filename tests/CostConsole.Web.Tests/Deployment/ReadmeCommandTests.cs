using System.Text.RegularExpressions;

namespace CostConsole.Web.Tests.Deployment;

/// <summary>
/// Every command the README shows, run as written from the repository root on a fresh data folder — bounded where it
/// would run for long (fewer seconds and rows), against a port of its own, with <c>--no-build</c> and the tests' build
/// configuration — or listed with the reason it is not run here.
/// </summary>
[Collection(nameof(Shell))]
public sealed partial class ReadmeCommandTests
{
    /// <summary>How each documented command is run: {port}, {data}, {seeded} and {request} are filled in; null: not run here.</summary>
    private static readonly IReadOnlyList<(string Documented, string? AsRun, string? NotRunBecause)> Commands =
    [
        ("dotnet run --project src/CostConsole.Web",
            "dotnet run --no-build -c {configuration} --project src/CostConsole.Web -- --urls http://127.0.0.1:{port}", null),
        ("curl http://localhost:5080/v1/chat/completions -H \"Authorization: Bearer cc-dev-0123456789abcdef\" -H \"Content-Type: application/json\" -d '{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":\"Where is my order?\"}]}'",
            "curl -sS -D - --fail-with-body http://localhost:{port}/v1/chat/completions -H \"Authorization: Bearer cc-dev-0123456789abcdef\" -H \"Content-Type: application/json\" -d '{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":\"Where is my order?\"}]}'", null),
        ("dotnet run --project src/CostConsole.Web -- traffic --rate 50 --seconds 60 [--url http://127.0.0.1:5080] [--key cc-dev-0123456789abcdef] [--concurrency 2000] [--outcomes on]",
            "dotnet run --no-build -c {configuration} --project src/CostConsole.Web -- traffic --rate 50 --seconds 2 --url http://127.0.0.1:{port} --key cc-dev-0123456789abcdef --concurrency 2000 --outcomes on", null),
        ("dotnet run --project src/CostConsole.Web -- traffic --rate 50 --seconds 60",
            "dotnet run --no-build -c {configuration} --project src/CostConsole.Web -- traffic --rate 50 --seconds 2 --url http://127.0.0.1:{port}", null),
        ("dotnet run --project src/CostConsole.Web -- traffic --rate 40 --seconds 120 --outcomes on",
            "dotnet run --no-build -c {configuration} --project src/CostConsole.Web -- traffic --rate 40 --seconds 2 --outcomes on --url http://127.0.0.1:{port}", null),
        ("curl -s localhost:5080/api/feedback -H 'Authorization: Bearer cc-dev-0123456789abcdef' -H 'Content-Type: application/json' -d '{\"request_id\":\"req_…\",\"resolved\":true,\"csat\":5,\"comment\":\"fixed\"}'",
            "curl -sS --fail-with-body localhost:{port}/api/feedback -H 'Authorization: Bearer cc-dev-0123456789abcdef' -H 'Content-Type: application/json' -d '{\"request_id\":\"{request}\",\"resolved\":true,\"csat\":5,\"comment\":\"fixed\"}'", null),
        ("dotnet run -c Release --project src/CostConsole.Web -- seed-ledger --rows 2000000 --days 30 [--seed 1]",
            "dotnet run --no-build -c {configuration} --project src/CostConsole.Web -- seed-ledger --rows 2000 --days 30 --seed 1", null),
        ("dotnet run -c Release --project src/CostConsole.Web -- export-costs --format focus --from 2026-11-01 --to 2026-11-30 --out /tmp/costconsole-focus.csv",
            "dotnet run --no-build -c {configuration} --project src/CostConsole.Web -- export-costs --format focus --from 2026-11-01 --to 2026-11-30 --out {seeded}/focus.csv", null),
        ("dotnet run -c Release --project src/CostConsole.Web -- measure-dashboard [--runs 7]",
            "dotnet run --no-build -c {configuration} --project src/CostConsole.Web -- measure-dashboard --runs 1", null),
        ("CostConsole__DataFolder=/tmp/ccseed dotnet src/CostConsole.Web/bin/Release/net10.0/CostConsole.Web.dll seed-ledger --rows 2000000 --days 30",
            "CostConsole__DataFolder={seeded} dotnet src/CostConsole.Web/bin/{configuration}/net10.0/CostConsole.Web.dll seed-ledger --rows 2000 --days 30", null),
        ("ASPNETCORE_ENVIRONMENT=Development CostConsole__DataFolder=/tmp/ccload dotnet src/CostConsole.Web/bin/Release/net10.0/CostConsole.Web.dll --urls http://127.0.0.1:5393 &",
            "ASPNETCORE_ENVIRONMENT=Development CostConsole__DataFolder={seeded} dotnet src/CostConsole.Web/bin/{configuration}/net10.0/CostConsole.Web.dll --urls http://127.0.0.1:{port}", null),
        ("dotnet run --project src/CostConsole.Web -- traffic --help",
            "dotnet run --no-build -c {configuration} --project src/CostConsole.Web -- traffic --help", null),
        ("dotnet run", null, "a mention in the text of the first command above"),
        ("dotnet test", null, "it is this suite; CI runs it (.ci/run)"),
        ("dotnet run -c Release --project tests/CostConsole.DashboardLoad -- --url http://127.0.0.1:5080 --clients 20 --rate 200 --seconds 600 --pid <console pid>", null, "a ten-minute load test against a running console; its result is in the README"),
        ("dotnet run -c Release --project tests/CostConsole.DashboardLoad -- --url http://127.0.0.1:5393 --clients 20 --rate 200 --seconds 600 --pid $!", null, "a ten-minute load test; its result is in the README"),
        ("dotnet tool restore", null, "developer set-up for adding a migration"),
        ("dotnet ef migrations add <Name> --project migrations/Sqlite/CostConsole.Migrations.Sqlite.csproj --startup-project src/CostConsole.Web", null, "adds a migration to the repository"),
        ("CostConsole__Database__Provider=PostgreSql CostConsole__Database__ConnectionString=\"Host=localhost;Database=costconsole\" dotnet ef migrations add <Name> --project migrations/PostgreSql/CostConsole.Migrations.PostgreSql.csproj --startup-project src/CostConsole.Web", null, "adds a migration to the repository"),
        ("dotnet ef dbcontext optimize --nativeaot --project src/CostConsole.Data/CostConsole.Data.csproj --startup-project src/CostConsole.Web --output-dir CompiledModels/Sqlite --namespace CostConsole.Data.CompiledModels.Sqlite", null, "regenerates a compiled model in the repository"),
        ("CostConsole__Database__Provider=PostgreSql CostConsole__Database__ConnectionString=\"Host=localhost;Database=costconsole\" dotnet ef dbcontext optimize --nativeaot --project src/CostConsole.Data/CostConsole.Data.csproj --startup-project src/CostConsole.Web --output-dir CompiledModels/PostgreSql --namespace CostConsole.Data.CompiledModels.PostgreSql", null, "regenerates a compiled model in the repository"),
        ("dotnet test --project tests/CostConsole.Web.Tests -- --filter-method '*Two_hundred*'", null, "part of this suite"),
        ("dotnet run --project tests/CostConsole.E2E.Tests -- -class \"*.DashboardTests\" -diagnostics", null, "browser tests, part of this suite"),
        ("dotnet run -c Release --project tests/CostConsole.Benchmarks -- latency", null, "a benchmark of minutes; its figures are in the README"),
        ("dotnet run -c Release --project tests/CostConsole.Benchmarks -- --filter '*ExperimentAssignment*'", null, "a benchmark of minutes; its figures are in the README"),
        ("dotnet run -c Release --project tests/CostConsole.Benchmarks -- --filter '*Semantic*'", null, "a benchmark of minutes; its figures are in the README"),
        ("dotnet run -c Release --project tests/CostConsole.Benchmarks -- --filter '*ShadowDecision*'", null, "a benchmark of minutes; its figures are in the README"),
        ("dotnet run -c Release --project tests/CostConsole.Benchmarks -- learners $PWD/../shared/data/routing-train --train 15000", null, "needs the public training data, which is not part of the repository; its figures are in the README"),
        ("dotnet run -c Release --project tests/CostConsole.Benchmarks -- --filter '*TranslationBenchmarks*' --iterationCount 10 --warmupCount 3", null, "a benchmark of minutes; its figures are in the README"),
        ("bash tests/load/run.sh", null, "a load test with wrk; its figures are in the README"),
        ("REPEATS=1 bash tests/load/run.sh", null, "a load test with wrk; its figures are in the README"),
        ("bash tests/load/run.sh soak", null, "a load test of a million requests; its figures are in the README"),
        ("REPEATS=2 THROUGHPUT_SECONDS=15 bash tests/load/run.sh classifier", null, "a load test with wrk; its figures are in the README"),
        ("bash tests/load/soak.sh 15", null, "a soak test of fifteen minutes; its figures are in the README"),
        ("cd tests/compat && npm ci && node compat.mjs --url http://localhost:5080 --key cc-dev-0123456789abcdef", null, "the client compatibility suite, run by ClientCompatibilityTests in this suite"),
        ("curl http://localhost:5080/api/router/evaluate -H \"Authorization: Bearer cc-dev-0123456789abcdef\" -F file=@labels.csv", null, "needs a labelled file of the user's; RouterTrainingApiTests posts one to the same endpoint"),
        ("curl http://localhost:5080/api/router/train -H \"Authorization: Bearer cc-dev-0123456789abcdef\" -F file=@labels.csv -F quality_target=0.9", null, "needs a labelled file of the user's; RouterTrainingApiTests posts one to the same endpoint"),
        ("dotnet build -c Release tests/CostConsole.Benchmarks && (cd tests/CostConsole.Benchmarks/bin/Release/net10.0 && taskset -c 1 dotnet CostConsole.Benchmarks.dll embedding 300)", null, "a benchmark of minutes; its figures are in the README"),
        ("dotnet run --project src/CostConsole.Web --no-launch-profile -- evaluate-router --file $PWD/labels.csv", null, "needs a labelled file of the user's; RouterTrainingApiTests runs the same evaluation on one"),
        ("dotnet run --project src/CostConsole.Web --no-launch-profile -- train-router --default-set $PWD/../shared/data/routing-train --name shipped-support --out $PWD/src/CostConsole.Routing/Learning/Shipped/shipped-support-1.json", null, "reproduces the shipped model from the public training data, which is not part of the repository"),
        ("dotnet run --project src/CostConsole.Web --no-launch-profile -- train-router --file $PWD/outcomes.csv --tiers small=modelA,large=modelB [--quality-target 0.9 | --max-large-share 0.2] [--name support] [--out $PWD/model.json]", null, "needs a labelled file of the user's; RouterTrainingApiTests trains on one"),
        ("dotnet run -c Release --project tests/CostConsole.Benchmarks -- --filter '*TokenCounting*'", null, "a benchmark of minutes; its figures are in the README"),
        ("dotnet run -c Release --project tests/CostConsole.Benchmarks -- --filter '*TrainedClassifier*'", null, "a benchmark of minutes; its figures are in the README"),
        ("dotnet run -c Release --project tests/CostConsole.Benchmarks -- --filter '*ArithmeticConsistency*'", null, "a benchmark of minutes; its figures are in the README"),
        ("dotnet run -c Release --project tests/CostConsole.Benchmarks -- tokens", null, "a benchmark of minutes; its figures are in the README"),
        ("dotnet test --project tests/CostConsole.Web.Tests -- --filter-class '*ClientCompatibilityTests'", null, "part of this suite"),
        ("dotnet src/CostConsole.Web/bin/Release/net10.0/CostConsole.Web.dll simulator --api-key sim-local-key --urls http://127.0.0.1:5090 --CostConsole:Simulator:LatencyScale=0.1",
            "dotnet src/CostConsole.Web/bin/{configuration}/net10.0/CostConsole.Web.dll simulator --api-key sim-local-key --urls http://127.0.0.1:{port} --CostConsole:Simulator:LatencyScale=0.1", null),
        ("dotnet run --project src/CostConsole.Web -- migrate-data --to \"Host=db.internal;Database=costconsole;Username=costconsole;Password=change-me\"", null, "needs the user's PostgreSQL server; MigrateDataTests runs the same command against a throwaway one"),
        ("CostConsole__Database__Provider=PostgreSql CostConsole__Database__ConnectionString=\"Host=db.internal;Database=costconsole;Username=costconsole;Password=change-me\" CostConsole__Redis__Configuration=redis.internal:6379 dotnet CostConsole.Web.dll --urls http://0.0.0.0:5080", null, "needs the user's PostgreSQL and Redis; the PostgreSQL and Redis tests start instances the same way against throwaway servers"),
        ("dotnet run -c Release --project tests/CostConsole.LedgerLoad -- --rows 20000 --runs 5", null, "a benchmark of minutes against a throwaway PostgreSQL; its figures are in the README"),
        ("dotnet run -c Release --project tests/CostConsole.LedgerLoad -- --only sqlite --runs 1 --rows 20000 --concurrency 32", null, "a benchmark whose runs take turns with another build's; its figures are in the README"),
        ("bash tests/load/ledger-wal.sh /tmp/ccseed/costconsole.db", null, "copies a seeded ledger of gigabytes; its figures are in the README"),
        ("dotnet run -c Release --project tests/CostConsole.Benchmarks -- privacy", null, "a benchmark; its figures are in the README"),
        ("dotnet run -c Release --project tests/CostConsole.Benchmarks -- cache 500", null, "a benchmark of minutes; its figures are in the README"),
        ("dotnet run -c Release --project tests/CostConsole.Benchmarks -- cache 500 minilm", null, "a benchmark of minutes that embeds 20,000 questions first; its figures are in the README"),
        ("dotnet test --project tests/CostConsole.Web.Tests --filter-class '*CrmCacheReplayTests' --output Detailed", null, "part of this suite"),
        ("dotnet run -c Release --project tests/CostConsole.Benchmarks -- stages 1000", null, "a benchmark of minutes; its figures are in the README"),
        ("dotnet run -c Release --project tests/CostConsole.Benchmarks -- --filter '*ChatCompletionsBenchmarks*'", null, "a benchmark of minutes; its figures are in the README"),
        ("dotnet run -c Release --project tests/CostConsole.Benchmarks -- decisions 300", null, "a benchmark of minutes; its figures are in the README"),
        ("bash tests/load/tail.sh", null, "a load test of about three minutes beside the gateway-bench fake upstream; its figures are in the README"),
        ("bash tests/load/startup.sh", null, "publishes a Release build and starts it several times; its figures are in the README"),
        ("echo '{\"model\":\"auto\",\"messages\":[{\"role\":\"system\",\"content\":\"You are a helpful assistant.\"},{\"role\":\"user\",\"content\":\"Say hello in five words.\"}],\"max_tokens\":16,\"temperature\":0}' > /tmp/body-auto.json", null, "writes the request body of the Portkey comparison"),
        ("cd ../shared/tools/gateway-bench", null, "the Portkey comparison: needs wrk and Portkey installed beside the repository; its figures are in the README"),
        ("./compare.sh --runs 3 -d 15 -c 32 --portkey --body /tmp/body-auto.json --target costconsole http://127.0.0.1:5401/v1 -H 'Authorization: Bearer cc-bench-0123456789abcdef' --cmd 'cd /tmp/cc-bench && ASPNETCORE_ENVIRONMENT=Production ASPNETCORE_URLS=http://127.0.0.1:5401 CostConsole__DataFolder=/tmp/cc-bench-data CostConsole__DevApiKey=cc-bench-0123456789abcdef CostConsole__Catalogue__Providers__0__Name=simulator CostConsole__Catalogue__Providers__0__BaseUrl=http://127.0.0.1:18080/v1 Logging__LogLevel__Default=Warning DOTNET_TC_CallCountingDelayMs=0 exec dotnet CostConsole.Web.dll'", null, "the Portkey comparison: needs wrk and Portkey installed beside the repository; its figures are in the README"),
        ("dotnet publish src/CostConsole.Web -c Release -o /tmp/cc-bench", null, "the build the Portkey comparison starts; tests/load/startup.sh publishes the same project"),
        ("bash tests/load/features.sh", null, "a load run of about seven minutes with a throwaway Redis and OTLP sink; its figures are in the README"),
        ("bash tests/load/batch.sh", null, "a load test of minutes (10,000 batch lines); its figures are in the README"),
        ("dotnet run -c Release --project tests/CostConsole.Benchmarks -- affinity 200", null, "a benchmark of minutes; its figures are in the README"),
        ("REPEATS=5 bash tests/load/cluster.sh", null, "a load test of about ten minutes against throwaway PostgreSQL and Redis servers; its figures are in the README"),
        ("curl -s http://127.0.0.1:5090/v1/models -H \"Authorization: Bearer sim-local-key\"",
            "curl -sS --fail-with-body http://127.0.0.1:{port}/v1/models -H \"Authorization: Bearer sim-local-key\"", null),
    ];

    [Fact]
    public void Every_command_in_the_readme_is_run_here_or_says_why_not()
    {
        var documented = DocumentedCommands(Shell.Read("README.md"));
        var known = Commands.Select(c => c.Documented).ToHashSet(StringComparer.Ordinal);

        var unlisted = documented.Where(c => !known.Contains(c)).ToList();
        var gone = known.Where(c => !documented.Contains(c)).ToList();
        Assert.True(unlisted.Count == 0, "In the README but not in this test's list (add how it is run, or why not):\n" + string.Join("\n", unlisted));
        Assert.True(gone.Count == 0, "In this test's list but no longer in the README:\n" + string.Join("\n", gone));
    }

    [Fact]
    public async Task The_readme_commands_work_as_written_from_the_repository_root_on_a_fresh_data_folder()
    {
        var port = Shell.FreePort();
        var fresh = new Dictionary<string, string> { ["CostConsole__DataFolder"] = Shell.TempFolder("readme") };
        var seeded = Shell.TempFolder("readme-seeded");
        string Fill(string command, string request = "") => command
            .Replace("{configuration}", Shell.Configuration, StringComparison.Ordinal)
            .Replace("{port}", port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{seeded}", seeded, StringComparison.Ordinal)
            .Replace("{request}", request, StringComparison.Ordinal);
        string Run(string documented) => Fill(Commands.Single(c => c.Documented == documented).AsRun!);

        // The console, started as the README says, then a client, the traffic command and feedback against it.
        await using (var console = Shell.StartInBackground(Run("dotnet run --project src/CostConsole.Web"), Shell.RepositoryRoot, fresh))
        {
            await Shell.WaitHealthyAsync(console, new Uri($"http://127.0.0.1:{port}"));

            var chat = await RunAsync(Fill(Commands.Single(c => c.Documented.StartsWith("curl http://localhost:5080/v1/", StringComparison.Ordinal)).AsRun!), fresh);
            var request = RequestId().Match(chat).Groups[1].Value;
            Assert.StartsWith("req_", request, StringComparison.Ordinal);
            Assert.Contains("\"choices\"", chat, StringComparison.Ordinal);

            foreach (var traffic in Commands.Where(c => c.AsRun?.Contains(" traffic ", StringComparison.Ordinal) == true && !c.AsRun.EndsWith("--help", StringComparison.Ordinal)))
            {
                var output = await RunAsync(Fill(traffic.AsRun!), fresh);
                Assert.True(Regex.IsMatch(output, @"answered\s+[1-9]"), $"'{traffic.AsRun}' answered nothing:\n{output}");
            }

            var feedback = await RunAsync(Fill(Commands.Single(c => c.Documented.StartsWith("curl -s localhost:5080/api/feedback", StringComparison.Ordinal)).AsRun!, request), fresh);
            Assert.Contains(request, feedback, StringComparison.Ordinal);
        }

        // The simulator served on its own, and a client of it.
        await using (var simulator = Shell.StartInBackground(
            Run("dotnet src/CostConsole.Web/bin/Release/net10.0/CostConsole.Web.dll simulator --api-key sim-local-key --urls http://127.0.0.1:5090 --CostConsole:Simulator:LatencyScale=0.1"),
            Shell.RepositoryRoot, null))
        {
            await Shell.WaitHealthyAsync(simulator, new Uri($"http://127.0.0.1:{port}"));
            Assert.Contains("gpt-4.1-nano", await RunAsync(Run("curl -s http://127.0.0.1:5090/v1/models -H \"Authorization: Bearer sim-local-key\""), null), StringComparison.Ordinal);
        }

        var help = await RunAsync(Run("dotnet run --project src/CostConsole.Web -- traffic --help"), null);
        Assert.Contains("--rate", help, StringComparison.Ordinal);
        Assert.Contains("--outcomes", help, StringComparison.Ordinal);

        // Commands over a stopped console's database: seeded through dotnet run, then through the built dll.
        var seededFolder = new Dictionary<string, string> { ["CostConsole__DataFolder"] = seeded };
        Assert.Contains("2,000 ledger rows", await RunAsync(Run("dotnet run -c Release --project src/CostConsole.Web -- seed-ledger --rows 2000000 --days 30 [--seed 1]"), seededFolder), StringComparison.Ordinal);
        Assert.Contains("Request explorer", await RunAsync(Run("dotnet run -c Release --project src/CostConsole.Web -- measure-dashboard [--runs 7]"), seededFolder), StringComparison.Ordinal);
        Assert.Contains("ledger rows in", await RunAsync(Run("dotnet run -c Release --project src/CostConsole.Web -- export-costs --format focus --from 2026-11-01 --to 2026-11-30 --out /tmp/costconsole-focus.csv"), seededFolder), StringComparison.Ordinal);
        Assert.Contains("4,000 ledger rows", await RunAsync(Run("CostConsole__DataFolder=/tmp/ccseed dotnet src/CostConsole.Web/bin/Release/net10.0/CostConsole.Web.dll seed-ledger --rows 2000000 --days 30"), null), StringComparison.Ordinal);

        // The load test's console, started from the repository root with the built dll.
        await using var loadConsole = Shell.StartInBackground(
            Run("ASPNETCORE_ENVIRONMENT=Development CostConsole__DataFolder=/tmp/ccload dotnet src/CostConsole.Web/bin/Release/net10.0/CostConsole.Web.dll --urls http://127.0.0.1:5393 &"),
            Shell.RepositoryRoot, null);
        await Shell.WaitHealthyAsync(loadConsole, new Uri($"http://127.0.0.1:{port}"));
    }

    private static async Task<string> RunAsync(string command, IReadOnlyDictionary<string, string>? environment)
    {
        var result = await Shell.RunAsync(command, Shell.RepositoryRoot, environment, TimeSpan.FromMinutes(3));
        Assert.True(result.ExitCode == 0, $"'{command}' exited with {result.ExitCode}:\n{result.Output}");
        return result.Output;
    }

    /// <summary>Shell commands in the README: lines of bash blocks (continuations joined) and inline code that runs a program.</summary>
    private static HashSet<string> DocumentedCommands(string readme)
    {
        var commands = new HashSet<string>(StringComparer.Ordinal);
        foreach (var block in Shell.FencedBlocks(readme, "bash"))
        {
            var joined = Regex.Replace(block, @"\\\n\s*", " ");
            foreach (var line in joined.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')))
            {
                commands.Add(Regex.Replace(line, @"\s+", " "));
            }
        }

        var prose = Regex.Replace(readme, @"^```.*?^```", "", RegexOptions.Multiline | RegexOptions.Singleline);
        foreach (Match span in InlineCommand().Matches(prose))
        {
            commands.Add(Regex.Replace(span.Groups[1].Value, @"\s+", " "));
        }

        return commands;
    }

    [GeneratedRegex(@"`((?:[A-Za-z_]+=\S+ )*(?:dotnet|bash|curl) [^`]*)`")]
    private static partial Regex InlineCommand();

    [GeneratedRegex(@"x-costconsole-request-id: (\S+)", RegexOptions.IgnoreCase)]
    private static partial Regex RequestId();
}
