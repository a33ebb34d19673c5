using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using CostConsole.Data;
using CostConsole.Data.Catalogue;
using CostConsole.Data.Entities;
using CostConsole.Data.Keys;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Privacy;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;
using CostConsole.Web.Experiments;
using CostConsole.Simulator;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CostConsole.Web.Traffic;

/// <summary>Input the generator refused, with the reason; nothing was started.</summary>
public sealed class TrafficInputException(string message) : Exception(message);

/// <summary>One run of the generator.</summary>
public sealed class TrafficRun(double rate, TimeSpan duration, DateTimeOffset startedAt, bool outcomes = false)
{
    /// <summary>Whether each answer gets simulated customer feedback (resolved, CSAT) through the feedback service.</summary>
    public bool Outcomes { get; } = outcomes;

    /// <summary>Feedback recorded so far when <see cref="Outcomes"/> is on.</summary>
    public long OutcomesRecorded => Interlocked.Read(ref _outcomesRecorded);

    private long _outcomesRecorded;

    internal void CountOutcome() => Interlocked.Increment(ref _outcomesRecorded);

    public double Rate { get; } = rate;

    public TimeSpan Duration { get; } = duration;

    public DateTimeOffset StartedAt { get; } = startedAt;

    public TrafficProgress Progress { get; } = new();

    public long Planned => (long)Math.Round(Rate * Duration.TotalSeconds);

    public bool Running { get; internal set; } = true;

    public bool Stopped { get; internal set; }

    public DateTimeOffset? FinishedAt { get; internal set; }

    internal CancellationTokenSource Stop { get; } = new();
}

/// <summary>
/// Replays the sample CRM workload through the same in-process <see cref="ChatPipeline"/> the public endpoint uses,
/// at a chosen rate for a chosen time. Each workload key gets an API key of its own (created once), so the
/// dashboard and the explorer can tell the callers apart. Every request is a conversation of its own with an
/// end user drawn from a fixed pool, so experiments by conversation or by user enrol it; with outcomes on, the
/// simulated customer's verdict is recorded through <see cref="FeedbackService"/> like real feedback.
/// </summary>
internal sealed class TrafficGenerator(
    ChatPipeline pipeline,
    SampleWorkload workload,
    IDbContextFactory<CostConsoleDbContext> factory,
    ITokenCounter tokens,
    IOptions<CostConsoleOptions> options,
    FeedbackService feedback,
    SimulatorSettings simulator,
    TimeProvider time,
    Api.ApiKeyDirectory directory)
{
    /// <summary>How many distinct end users generated requests come from.</summary>
    public const int SampleUsers = 500;

    public const double MaxRate = 1000;
    public static readonly TimeSpan MaxDuration = TimeSpan.FromHours(24);

    private readonly Lock _lock = new();
    private TrafficRun? _current;

    public TrafficRun? Current => _current;

    public SampleWorkload Workload => workload;

    /// <summary>Raised when a run starts or ends.</summary>
    public event Action? Changed;

    /// <param name="outcomes">Record a simulated customer outcome for every request, for experiments.</param>
    public TrafficRun Start(double rate, TimeSpan duration, bool outcomes = false)
    {
        if (!(rate is >= 0.1 and <= MaxRate))
        {
            throw new TrafficInputException($"The rate must be between 0.1 and {MaxRate:N0} requests per second.");
        }

        if (duration < TimeSpan.FromSeconds(1) || duration > MaxDuration)
        {
            throw new TrafficInputException("The duration must be between 1 second and 24 hours.");
        }

        TrafficRun run;
        lock (_lock)
        {
            if (_current is { Running: true })
            {
                throw new TrafficInputException("Traffic is already being generated; stop it first.");
            }

            run = new TrafficRun(rate, duration, time.GetUtcNow(), outcomes);
            _current = run;
        }

        _ = Task.Run(() => RunAsync(run));
        Changed?.Invoke();
        return run;
    }

    public void Stop()
    {
        if (_current is { Running: true } run)
        {
            run.Stopped = true;
            run.Stop.Cancel();
        }
    }

    private async Task RunAsync(TrafficRun run)
    {
        try
        {
            var keys = await EnsureKeysAsync();
            var random = new Random();
            var storage = options.Value.Privacy.For(null, options.Value.StorePrompts);
            var simulated = new SimulatedOutcomes(simulator.Seed);
            await TrafficPacer.RunAsync(run.Rate, run.Duration, maxInFlight: 2000, async _ =>
            {
                WorkloadDraw draw;
                lock (random)
                {
                    draw = workload.Draw(random);
                }

                int user;
                lock (random)
                {
                    user = random.Next(SampleUsers);
                }

                var body = JsonSerializer.SerializeToUtf8Bytes(new { model = "auto", user = $"sample-user-{user}", messages = new[] { new { role = "user", content = draw.Prompt.Prompt } } });
                using var request = ChatRequestParser.Parse(body, "source=traffic-generator", tokens);
                var requestId = "req_" + Guid.CreateVersion7().ToString("N");
                var caller = new CallerContext(requestId, keys[draw.Key.Name], time.GetUtcNow(), Stopwatch.GetTimestamp(), storage != PromptStorage.None, "sim-" + requestId[4..]) { PromptStorage = storage };
                var outcome = await pipeline.CompleteAsync(request, caller, CancellationToken.None);
                if (run.Outcomes)
                {
                    var capability = outcome.IsSuccess && outcome.Model is { } model ? simulator.Find(model.Model.Id)?.Capability : null;
                    var verdict = simulated.Draw(capability, draw.Prompt.Prompt);
                    var recorded = await feedback.RecordAsync(new FeedbackInput(requestId, null, verdict.Resolved, verdict.Csat, null), FeedbackSources.Simulated);
                    if (recorded.Done)
                    {
                        run.CountOutcome();
                    }
                }

                return outcome.IsSuccess;
            }, run.Progress, run.Stop.Token);
        }
        finally
        {
            run.Running = false;
            run.FinishedAt = time.GetUtcNow();
            Changed?.Invoke();
        }
    }

    private async Task<Dictionary<string, long>> EnsureKeysAsync()
    {
        await using var db = await factory.CreateDbContextAsync();
        var names = workload.Keys.Select(k => k.Name).ToList();
        var existing = await db.ApiKeys.Where(k => names.Contains(k.Name) && k.RevokedAt == null).ToDictionaryAsync(k => k.Name, k => k.Id);
        foreach (var name in names.Where(n => !existing.ContainsKey(n)))
        {
            // The secret is thrown away: these keys only label generated traffic and cannot call /v1.
            var secret = "cc-sample-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            var key = new ApiKeyEntity { Name = name, Team = "sample workload", Prefix = ApiKeySecrets.Prefix(secret), Hash = ApiKeySecrets.Hash(secret), CreatedAt = time.GetUtcNow() };
            db.ApiKeys.Add(key);
            await db.SaveChangesAsync();
            existing[name] = key.Id;
        }

        // Budgets of a team or key read keys from the directory, so generated traffic counts against them too.
        await directory.ReloadAsync();
        return existing;
    }
}
