using CostConsole.Training;
using Microsoft.Extensions.Options;

namespace CostConsole.Web.Routing;

/// <summary>
/// Scheduled retraining (<c>CostConsole:Router:Retrain:Schedule</c>): every interval, the instance that takes the
/// lease retrains on the last <see cref="RouterRetrainOptions.Window"/> of the ledger and records a proposal. Off
/// when no schedule is set.
/// </summary>
internal sealed partial class RouterRetrainSchedule(
    RouterRetraining retraining, IOptions<RouterRetrainOptions> options, TimeProvider time, ILogger<RouterRetrainSchedule> logger) : BackgroundService
{
    private readonly string _instance = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.Schedule is not { } interval || interval <= TimeSpan.Zero)
        {
            return;
        }

        // Wake often enough to notice when another instance's run makes this one due later.
        using var timer = new PeriodicTimer(TimeSpan.FromTicks(Math.Min(interval.Ticks, TimeSpan.FromMinutes(1).Ticks)), time);
        do
        {
            try
            {
                if (!await retraining.TryLeaseAsync(_instance, interval, stoppingToken))
                {
                    continue;
                }

                try
                {
                    var now = time.GetUtcNow();
                    var result = await retraining.ProposeAsync(now - options.Value.Window, now, "schedule", "schedule", stoppingToken);
                    Ran(result.Message);
                }
                finally
                {
                    await retraining.ReleaseLeaseAsync(_instance, CancellationToken.None);
                }
            }
            catch (LabelledFileException ex)
            {
                Ran(ex.Message);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Failed(ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Scheduled router retraining: {Message}")]
    private partial void Ran(string message);

    [LoggerMessage(Level = LogLevel.Error, Message = "Scheduled router retraining failed")]
    private partial void Failed(Exception exception);
}
