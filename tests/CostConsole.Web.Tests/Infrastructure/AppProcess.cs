using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace CostConsole.Web.Tests.Infrastructure;

/// <summary>The built console run as its own OS process on a loopback port, for tests that kill it.</summary>
public sealed class AppProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter? _log;
    private readonly Lock _logLock = new();

    private AppProcess(Process process, Uri baseAddress, StreamWriter? log, string? logPath)
    {
        _process = process;
        _log = log;
        BaseAddress = baseAddress;
        LogPath = logPath;
    }

    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(300);

    public Uri BaseAddress { get; }

    /// <summary>The file the console's own output (its log) is written to as it runs, when one was asked for.</summary>
    public string? LogPath { get; }

    /// <param name="environment">Development serves the console's static assets from the build output; other environments expect a published layout.</param>
    /// <param name="logPath">Where to keep the console's output, line by line as it comes, so a failed test can be diagnosed from it; null discards it.</param>
    public static async Task<AppProcess> StartAsync(string dataFolder, IReadOnlyDictionary<string, string> settings, CancellationToken cancellationToken, string environment = "Testing", string? logPath = null)
    {
        var webOutput = Path.GetDirectoryName(typeof(Program).Assembly.Location)!;
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = webOutput,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(webOutput, "CostConsole.Web.dll"));
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        start.Environment["ASPNETCORE_ENVIRONMENT"] = environment;
        start.Environment["CostConsole__DataFolder"] = dataFolder;
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        StreamWriter? log = null;
        if (logPath is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
            log = new StreamWriter(logPath, append: false) { AutoFlush = true };
        }

        var process = Process.Start(start)!;
        var app = new AppProcess(process, new Uri($"http://127.0.0.1:{port}"), log, logPath);
        process.OutputDataReceived += (_, line) => app.Write(line.Data);
        process.ErrorDataReceived += (_, line) => app.Write(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = app.BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        // Generous: on a machine busy with builds and other consoles, starting (migrations, seeding, rollups) can take minutes.
        var deadline = DateTime.UtcNow + StartDeadline;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                var exitCode = process.ExitCode;
                await app.DisposeAsync();
                throw new InvalidOperationException($"The console exited at start with code {exitCode}.{app.SeeLog}");
            }

            try
            {
                using var health = await http.GetAsync("/health", cancellationToken);
                if (health.StatusCode == HttpStatusCode.OK)
                {
                    return app;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Still starting.
            }

            await Task.Delay(100, cancellationToken);
        }

        await app.DisposeAsync();
        throw new TimeoutException($"The console did not become healthy within {StartDeadline.TotalSeconds:0} s.{app.SeeLog}");
    }

    /// <summary>SIGKILL: no shutdown hooks, no draining — what a crash or an OOM kill does.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
        lock (_logLock)
        {
            _log?.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    private string SeeLog => LogPath is null ? "" : $" Its log: {LogPath}";

    private void Write(string? line)
    {
        if (line is null || _log is null)
        {
            return;
        }

        lock (_logLock)
        {
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // The last lines of a console being stopped.
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
