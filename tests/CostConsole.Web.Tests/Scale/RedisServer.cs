using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace CostConsole.Web.Tests.Scale;

/// <summary>
/// A throwaway <c>redis-server</c> on a free loopback port, in a temporary folder, with no persistence. It can be
/// stopped and started again on the same port, as an outage would. Without redis-server installed the tests fail and
/// say what to install.
/// </summary>
public sealed class RedisServer : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "costconsole-redis", Guid.NewGuid().ToString("N"));
    private Process? _process;

    public int Port { get; } = FreePort();

    /// <summary>The StackExchange.Redis configuration string for <c>CostConsole:Redis:Configuration</c>.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    public async ValueTask InitializeAsync() => await StartAsync();

    public async Task StartAsync()
    {
        var executable = Executable() ?? throw new InvalidOperationException(
            "redis-server is not installed, and the scale-out tests need it: run `apt-get install -y redis-server` (Debian/Ubuntu) and run the tests again.");
        Directory.CreateDirectory(_folder);
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = _folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", _folder, "--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "no" })
        {
            start.ArgumentList.Add(argument);
        }

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            output.Enqueue(e.Data);
            if (e.Data.Contains("Ready to accept connections", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException("redis-server exited at start: " + string.Join(Environment.NewLine, output)));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>Kills the server at once, as a crash would; what it held is gone (no persistence).</summary>
    public void Stop()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        _process?.Dispose();
        _process = null;
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }

        return ValueTask.CompletedTask;
    }

    private static string? Executable()
    {
        var path = Environment.GetEnvironmentVariable("PATH")?.Split(Path.PathSeparator) ?? [];
        return path.Append("/usr/bin").Append("/usr/local/bin").Append("/usr/sbin")
            .Select(folder => Path.Combine(folder, "redis-server"))
            .FirstOrDefault(File.Exists);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
