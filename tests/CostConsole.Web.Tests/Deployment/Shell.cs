using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace CostConsole.Web.Tests.Deployment;

/// <summary>The repository's documents and a shell to run what they say, as a reader would.</summary>
public static partial class Shell
{
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The configuration the tests were built in (Debug or Release): commands run the web project's build of it.</summary>
    public static string Configuration { get; } =
        new DirectoryInfo(Path.GetDirectoryName(typeof(Program).Assembly.Location)!).Parent!.Name;

    public static string Read(string relativePath) => File.ReadAllText(Path.Combine(RepositoryRoot, relativePath));

    /// <summary>The fenced code blocks of a markdown text in the given language, in order.</summary>
    public static IReadOnlyList<string> FencedBlocks(string markdown, string language) =>
        FencePattern().Matches(markdown).Where(m => m.Groups[1].Value == language).Select(m => m.Groups[2].Value).ToList();

    /// <summary>A fenced bash block whose first line is the comment <c># name</c>, without that line.</summary>
    public static string Block(string markdown, string name) =>
        FencedBlocks(markdown, "bash").Select(b => b.Split('\n', 2)).Single(p => p[0].Trim() == "# " + name)[1];

    public static string TempFolder(string name)
    {
        var folder = Path.Combine(Path.GetTempPath(), "costconsole-tests", name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        return folder;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Runs a script with bash (<c>set -euo pipefail</c>) to its end and returns its exit code and output.</summary>
    public static async Task<ShellResult> RunAsync(string script, string workingDirectory, IReadOnlyDictionary<string, string>? environment, TimeSpan timeout)
    {
        using var process = Start(script, workingDirectory, environment, out var output);
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{script}' did not finish within {timeout}. Output so far:\n{output}");
        }

        process.WaitForExit();
        return new ShellResult(process.ExitCode, output.ToString());
    }

    /// <summary>
    /// Starts a one-line command (a server) in the background, as the process itself (bash execs it), so it can be
    /// stopped with SIGTERM as a service manager would; dispose it to stop it and its children.
    /// </summary>
    public static Background StartInBackground(string command, string workingDirectory, IReadOnlyDictionary<string, string>? environment) =>
        new(Start("exec env " + command.Trim(), workingDirectory, environment, out var output), output);

    private static Process Start(string script, string workingDirectory, IReadOnlyDictionary<string, string>? environment, out StringBuilder output)
    {
        var start = new ProcessStartInfo("bash")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("set -euo pipefail\n" + script);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var lines = new StringBuilder();
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) =>
        {
            lock (lines)
            {
                lines.AppendLine(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (lines)
            {
                lines.AppendLine(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        output = lines;
        return process;
    }

    /// <summary>Polls <c>/health</c> until it answers 200, the process exits, or three minutes pass (a shared machine is slow).</summary>
    public static async Task WaitHealthyAsync(Background server, Uri baseAddress)
    {
        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (DateTime.UtcNow < deadline)
        {
            if (server.HasExited)
            {
                throw new InvalidOperationException($"The console exited at start. Output:\n{server.Output}");
            }

            try
            {
                using var health = await http.GetAsync("/health");
                if (health.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"The console did not become healthy. Output:\n{server.Output}");
    }

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "CostConsole.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("The repository root (CostConsole.sln) was not found above the test binaries.");
    }

    [GeneratedRegex(@"^```(\w*)[^\n]*\n(.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex FencePattern();
}

public sealed record ShellResult(int ExitCode, string Output);

/// <summary>Tests that build, publish and start whole consoles run one at a time, so they do not starve each other.</summary>
[CollectionDefinition(nameof(Shell))]
public sealed class ShellCollection;

/// <summary>A background script; disposing it stops it (SIGTERM, then SIGKILL for what is left) with its children.</summary>
public sealed partial class Background(Process process, StringBuilder output) : IAsyncDisposable
{
    private const int Sigterm = 15;

    public bool HasExited => process.HasExited;

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>Asks the process tree to stop as a service manager would (SIGTERM) and waits for it.</summary>
    public async Task StopAsync()
    {
        if (process.HasExited)
        {
            return;
        }

        _ = Kill(process.Id, Sigterm);

        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        process.Dispose();
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
