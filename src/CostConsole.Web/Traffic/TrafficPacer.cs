using System.Diagnostics;

namespace CostConsole.Web.Traffic;

/// <summary>Counts of a traffic run, updated as it goes.</summary>
public sealed class TrafficProgress
{
    private long _sent;
    private long _answered;
    private long _failed;

    public long Sent => Interlocked.Read(ref _sent);

    public long Answered => Interlocked.Read(ref _answered);

    public long Failed => Interlocked.Read(ref _failed);

    public long InFlight => Sent - Answered - Failed;

    internal void OnSent() => Interlocked.Increment(ref _sent);

    internal void OnDone(bool answered) => Interlocked.Increment(ref answered ? ref _answered : ref _failed);
}

/// <summary>
/// Sends at a steady rate for a set time: every 10 ms it starts as many requests as the schedule says are due,
/// never more than <c>maxInFlight</c> at once, then waits for those in flight.
/// </summary>
public static class TrafficPacer
{
    public static async Task RunAsync(
        double ratePerSecond,
        TimeSpan duration,
        int maxInFlight,
        Func<long, Task<bool>> send,
        TrafficProgress progress,
        CancellationToken stop)
    {
        var started = Stopwatch.GetTimestamp();
        var inFlight = new SemaphoreSlim(maxInFlight, maxInFlight);
        var running = new List<Task>();
        long launched = 0;
        var total = (long)Math.Round(ratePerSecond * duration.TotalSeconds);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        try
        {
            while (launched < total && await timer.WaitForNextTickAsync(stop))
            {
                var due = Math.Min(total, (long)(Stopwatch.GetElapsedTime(started).TotalSeconds * ratePerSecond) + 1);
                while (launched < due && !stop.IsCancellationRequested)
                {
                    await inFlight.WaitAsync(stop);
                    var number = launched++;
                    progress.OnSent();
                    running.Add(SendOneAsync(number));
                }

                running.RemoveAll(t => t.IsCompleted);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopped: no new requests; those in flight finish below.
        }

        await Task.WhenAll(running);

        async Task SendOneAsync(long number)
        {
            try
            {
                progress.OnDone(await send(number));
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException or IOException)
            {
                progress.OnDone(false);
            }
            finally
            {
                inFlight.Release();
            }
        }
    }
}
