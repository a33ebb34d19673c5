using System.Diagnostics;

namespace CostConsole.Web.Extensions;

/// <summary>
/// At Debug level (category <c>CostConsole.Web.Extensions.StartupSteps</c>), what each start-up step cost: its wall time
/// and the process's CPU time so far, which on a shared machine says more than the wall time.
/// </summary>
internal sealed partial class StartupSteps(ILogger<StartupSteps> logger)
{
    private long _stepStarted = Stopwatch.GetTimestamp();

    public void Done(string step)
    {
        if (!logger.IsEnabled(LogLevel.Debug))
        {
            return;
        }

        var now = Stopwatch.GetTimestamp();
        StepDone(logger, step, Stopwatch.GetElapsedTime(_stepStarted, now).TotalMilliseconds, Environment.CpuUsage.TotalTime.TotalMilliseconds);
        _stepStarted = now;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Start-up step {Step}: {WallMs:0} ms; process CPU so far {CpuMs:0} ms")]
    private static partial void StepDone(ILogger logger, string step, double wallMs, double cpuMs);
}
