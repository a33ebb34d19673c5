using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using CostConsole.Data;
using CostConsole.Data.Catalogue;
using CostConsole.Data.Entities;
using CostConsole.Data.Ledger;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Pricing;
using CostConsole.Routing.Providers;
using CostConsole.Routing.Protocols.Batches;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;
using CostConsole.Web.Api;
using CostConsole.Web.Budgets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace CostConsole.Web.Batches;

/// <summary>
/// Runs batches in the background: each line through the same pipeline as <c>/v1/chat/completions</c> (the same
/// router, admission, fallbacks and ledger), priced at the batch price, at most <see cref="BatchOptions.Concurrency"/>
/// lines at a time. A line's result is stored as soon as it ends, so a console that stops — or crashes — resumes its
/// batches where they were, without running a finished line again.
/// </summary>
/// <remarks>
/// Instances sharing a database run each batch once: an instance runs a batch only after claiming it in the database
/// (a conditional update of its lease), renews the lease while the batch runs, and lets go when it stops. Another
/// instance takes a batch over only once its lease has lapsed — after a crash, say — and carries on from the lines
/// still pending.
/// </remarks>
internal sealed partial class BatchRunner(
    IDbContextFactory<CostConsoleDbContext> factory,
    ChatPipeline pipeline,
    ITokenCounter tokens,
    BudgetGuard budgets,
    UpstreamBatches upstream,
    ApiKeyDirectory keys,
    KeyRateLimiter limiter,
    IOptions<BatchOptions> options,
    IOptions<CostConsoleOptions> console,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<BatchRunner> logger) : BackgroundService
{
    private const int LinesPerRead = 256;

    /// <summary>This instance, as it signs its leases.</summary>
    private readonly string _instance = $"{Environment.MachineName[..Math.Min(Environment.MachineName.Length, 40)]}/{Guid.NewGuid():N}";

    private readonly ConcurrentDictionary<string, CancellationTokenSource> _running = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _slots = new(Math.Max(1, options.Value.Concurrency));
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A batch was created: look for work now rather than at the next poll.</summary>
    public void Wake() => Volatile.Read(ref _wake).TrySetResult();

    /// <summary>Stops starting the batch's lines and cuts the ones running; the runner then marks it cancelled.</summary>
    public void Cancel(string batchId)
    {
        if (_running.TryGetValue(batchId, out var running))
        {
            running.Cancel();
        }

        Wake();
    }

    protected override async Task ExecuteAsync(CancellationToken hostStopping)
    {
        // Stopped as soon as the application begins to stop, before the server does: a line cut then stays pending,
        // where one left running would fail against providers (the simulator among them) that are already gone.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(hostStopping, lifetime.ApplicationStopping);
        var stoppingToken = stopping.Token;
        var batches = new List<Task>();
        try
        {
            // Lines call providers through this server's own address (the simulator among them): not before it listens.
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
            {
                await started.Task.WaitAsync(stoppingToken);
            }

            while (!stoppingToken.IsCancellationRequested)
            {
                // Swapped before looking, so a batch created while the query runs wakes the wait below.
                var wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref _wake, wake);
                batches.RemoveAll(t => t.IsCompleted);
                foreach (var id in await OpenBatchesAsync(stoppingToken))
                {
                    if (_running.ContainsKey(id) || !await ClaimAsync(id, stoppingToken))
                    {
                        continue;
                    }

                    var cancel = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                    if (_running.TryAdd(id, cancel))
                    {
                        batches.Add(RunBatchAsync(id, cancel, stoppingToken));
                    }
                    else
                    {
                        cancel.Dispose();
                    }
                }

                await wake.Task.WaitAsync(TimeSpan.FromSeconds(options.Value.PollSeconds), time, stoppingToken).ContinueWith(static _ => { }, TaskScheduler.Default);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the batches below stop after the lines they are running.
        }

        await Task.WhenAll(batches);
    }

    private async Task<List<string>> OpenBatchesAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var open = await db.Batches.AsNoTracking()
            .Where(b => BatchStatus.Open.Contains(b.Status) && (b.LeaseOwner == null || b.LeaseOwner == _instance || b.LeaseExpiresAt < now))
            .OrderBy(b => b.CreatedAt).Select(b => b.Id).ToListAsync(cancellationToken);
        return [.. open.Where(id => !_running.ContainsKey(id))];
    }

    private TimeSpan Lease => TimeSpan.FromSeconds(options.Value.LeaseSeconds);

    /// <summary>
    /// Takes the batch for this instance when no other holds it: one conditional update, so of two instances trying
    /// at once exactly one gets it.
    /// </summary>
    private async Task<bool> ClaimAsync(string id, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var until = now + Lease;
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.Batches
            .Where(b => b.Id == id && BatchStatus.Open.Contains(b.Status) && (b.LeaseOwner == null || b.LeaseOwner == _instance || b.LeaseExpiresAt < now))
            .ExecuteUpdateAsync(s => s.SetProperty(b => b.LeaseOwner, _instance).SetProperty(b => b.LeaseExpiresAt, until), cancellationToken) == 1;
    }

    /// <summary>
    /// Renews the lease until the batch ends. Stops the batch here when the lease was lost (this instance stalled past
    /// it and another took over) or when the batch was cancelled through another instance.
    /// </summary>
    private async Task KeepLeaseAsync(string id, CancellationTokenSource cancel, CancellationToken ended)
    {
        using var timer = new PeriodicTimer(Lease / 3, time);
        try
        {
            while (await timer.WaitForNextTickAsync(ended))
            {
                try
                {
                    var until = time.GetUtcNow() + Lease;
                    await using var db = await factory.CreateDbContextAsync(ended);
                    var held = await db.Batches.Where(b => b.Id == id && b.LeaseOwner == _instance)
                        .ExecuteUpdateAsync(s => s.SetProperty(b => b.LeaseExpiresAt, until), ended) == 1;
                    if (!held)
                    {
                        LeaseLost(logger, id);
                        await cancel.CancelAsync();
                        return;
                    }

                    if (await db.Batches.AnyAsync(b => b.Id == id && b.Status == BatchStatus.Cancelling, ended))
                    {
                        await cancel.CancelAsync();
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Tried again at the next tick; should the lease lapse meanwhile, the final write below is refused.
                    LeaseNotRenewed(logger, id, ex.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The batch ended.
        }
    }

    /// <summary>Lets go of the batch, so that another instance can pick it up at once rather than after the lease.</summary>
    private async Task ReleaseAsync(string id)
    {
        try
        {
            await using var db = await factory.CreateDbContextAsync(CancellationToken.None);
            await db.Batches.Where(b => b.Id == id && b.LeaseOwner == _instance)
                .ExecuteUpdateAsync(s => s.SetProperty(b => b.LeaseOwner, (string?)null).SetProperty(b => b.LeaseExpiresAt, (DateTimeOffset?)null), CancellationToken.None);
        }
        catch (Exception ex)
        {
            // The lease then lapses on its own.
            LeaseNotReleased(logger, id, ex.Message);
        }
    }

    private async Task RunBatchAsync(string id, CancellationTokenSource cancel, CancellationToken stoppingToken)
    {
        await Task.Yield();
        using var ended = new CancellationTokenSource();
        var lease = KeepLeaseAsync(id, cancel, ended.Token);
        try
        {
            await RunAsync(id, cancel.Token, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Resumed at the next start.
        }
        catch (Exception ex)
        {
            // The batch stays open and is picked up again at the next poll.
            BatchFailed(logger, id, ex);
        }
        finally
        {
            await ended.CancelAsync();
            await lease;
            await ReleaseAsync(id);
            _running.TryRemove(id, out _);
            cancel.Dispose();
        }
    }

    private async Task RunAsync(string id, CancellationToken cancelled, CancellationToken stoppingToken)
    {
        BatchEntity batch;
        long remaining;
        await using (var db = await factory.CreateDbContextAsync(stoppingToken))
        {
            batch = await db.Batches.AsNoTracking().SingleAsync(b => b.Id == id, stoppingToken);
            if (batch.Status == BatchStatus.Validating)
            {
                batch.Status = BatchStatus.InProgress;
                batch.InProgressAt = time.GetUtcNow();
                await db.Batches.Where(b => b.Id == id && b.Status == BatchStatus.Validating)
                    .ExecuteUpdateAsync(s => s.SetProperty(b => b.Status, BatchStatus.InProgress).SetProperty(b => b.InProgressAt, batch.InProgressAt), stoppingToken);
            }

            remaining = await db.BatchLines.Where(l => l.BatchId == id && l.Status == BatchLineStatus.Pending).SumAsync(l => (long?)l.WorstNanoUsd, stoppingToken) ?? 0;
        }

        // After a restart the budgets know nothing of this batch: what its lines left may still cost is held again.
        budgets.HoldBatch(id, batch.ApiKeyId, remaining, batch.ExpiresAt);
        var expired = false;
        var running = new List<Task>();
        if (batch.Status is BatchStatus.InProgress)
        {
            // Lines for providers with a batch interface go there as one upstream batch each, polled alongside the
            // lines run here; they run through the pipeline (with the provider's answers) once their batch is back.
            await upstream.PlanAsync(batch, stoppingToken);
            var upstreamRun = upstream.RunAsync(batch, cancelled);
            for (var phase = 0; phase < 2 && !cancelled.IsCancellationRequested && !expired; phase++)
            {
                if (phase == 1)
                {
                    await Task.WhenAll(running);
                    await upstreamRun;
                }

                var after = 0;
                var answered = phase == 1;
                while (!cancelled.IsCancellationRequested && !expired)
                {
                    List<PendingLine> chunk;
                    await using (var db = await factory.CreateDbContextAsync(stoppingToken))
                    {
                        chunk = await db.BatchLines.AsNoTracking()
                            .Where(l => l.BatchId == id && l.Status == BatchLineStatus.Pending && l.Line > after && (answered || l.UpstreamBatchId == null))
                            .OrderBy(l => l.Line).Take(LinesPerRead)
                            .Select(l => new PendingLine(l.Id, l.Line, l.Body, l.WorstNanoUsd, l.UpstreamModel, l.UpstreamStatusCode, l.UpstreamBody))
                            .ToListAsync(stoppingToken);
                    }

                    if (chunk.Count == 0)
                    {
                        break;
                    }

                    foreach (var line in chunk)
                    {
                        if (time.GetUtcNow() >= batch.ExpiresAt)
                        {
                            expired = true;
                            break;
                        }

                        try
                        {
                            await _slots.WaitAsync(cancelled);
                        }
                        catch (OperationCanceledException)
                        {
                            break;
                        }

                        remaining -= line.WorstNanoUsd;
                        budgets.HoldBatch(id, batch.ApiKeyId, Math.Max(0, remaining), batch.ExpiresAt);
                        running.Add(RunLineAsync(batch, line, cancelled));
                        running.RemoveAll(t => t.IsCompleted);
                        after = line.Line;
                    }
                }
            }

            await Task.WhenAll(running);
            await upstreamRun;
            if (cancelled.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
            {
                await upstream.CancelAsync(id);
            }
        }

        if (stoppingToken.IsCancellationRequested)
        {
            return;
        }

        string status;
        await using (var db = await factory.CreateDbContextAsync(stoppingToken))
        {
            status = await db.Batches.Where(b => b.Id == id).Select(b => b.Status).SingleAsync(stoppingToken);
            var pending = await db.BatchLines.CountAsync(l => l.BatchId == id && l.Status == BatchLineStatus.Pending, stoppingToken);
            expired |= pending > 0 && time.GetUtcNow() >= batch.ExpiresAt;
            if (status == BatchStatus.InProgress && pending > 0 && !expired)
            {
                // Lines the ledger could not record stay pending; the next poll runs them again.
                return;
            }
        }

        var final = status == BatchStatus.Cancelling ? BatchStatus.Cancelled : expired ? BatchStatus.Expired : BatchStatus.Completed;
        if (!await FinishAsync(batch, final, stoppingToken))
        {
            return;
        }

        budgets.ReleaseBatch(id);
        BatchFinished(logger, id, final);
    }

    private async Task RunLineAsync(BatchEntity batch, PendingLine line, CancellationToken cancelled)
    {
        try
        {
            var receivedAt = time.GetUtcNow();
            CallerContext caller = null!;
            ChatOutcome? outcome = null;
            ChatError? invalid = null;
            var retries = 0;
            try
            {
                // A provider's 429 or 5xx that outlasted the pipeline's own retries and fallbacks is tried again later,
                // a few times, within the completion window: a batch can wait where an interactive caller cannot.
                var retry = new ResiliencePipelineBuilder<ChatOutcome>()
                    .AddRetry(new RetryStrategyOptions<ChatOutcome>
                    {
                        MaxRetryAttempts = Math.Max(1, options.Value.LineRetries),
                        Delay = TimeSpan.FromSeconds(options.Value.RetryDelaySeconds),
                        BackoffType = DelayBackoffType.Exponential,
                        UseJitter = true,
                        ShouldHandle = args => ValueTask.FromResult(options.Value.LineRetries > 0 && !cancelled.IsCancellationRequested
                            && args.Outcome.Result is { Error: { } error } && Retryable(error) && time.GetUtcNow() < batch.ExpiresAt),
                        OnRetry = _ =>
                        {
                            retries++;
                            return ValueTask.CompletedTask;
                        },
                    })
                    .Build();
                outcome = await retry.ExecuteAsync(
                    async token =>
                    {
                        await WithinKeyRateAsync(batch, token);
                        caller = new CallerContext("req_" + Guid.CreateVersion7().ToString("N"), batch.ApiKeyId, time.GetUtcNow(), Stopwatch.GetTimestamp(),
                            console.Value.StorePrompts, Protocol: ClientProtocols.ChatCompletions, BatchId: batch.Id);
                        using var request = ChatRequestParser.Parse(Encoding.UTF8.GetBytes(line.Body), null, tokens);
                        using var served = line is { UpstreamModel: { } model, UpstreamStatusCode: { } status, UpstreamBody: { } body } && retries == 0
                            ? UpstreamBatchAnswers.Serve(model, UpstreamBatchClient.Reply(status, BinaryData.FromString(body), request.PromptTokens, tokens))
                            : null;
                        return await pipeline.CompleteAsync(request, caller, token);
                    },
                    cancelled);
            }
            catch (ChatRequestException ex)
            {
                invalid = ChatError.InvalidRequest(ex.Code, ex.Message, ex.Param);
            }
            catch (OperationCanceledException) when (cancelled.IsCancellationRequested)
            {
                return;
            }

            if (outcome is { IsSuccess: false } && cancelled.IsCancellationRequested)
            {
                // Cut by a cancel or a shutdown: the line did not finish, and stays pending.
                return;
            }

            var error = invalid ?? outcome!.Error;
            var body = error is null ? outcome!.Body!.ToString() : Encoding.UTF8.GetString(ApiErrors.Serialize(error));
            var interactive = 0m;
            foreach (var attempt in outcome?.Attempts ?? [])
            {
                interactive += CostCalculator.Cost(pipeline.Snapshot.Prices, attempt.Model, receivedAt, new TokenUsage(attempt.PromptTokens, attempt.CachedTokens, attempt.CompletionTokens)) ?? 0m;
            }

            await using var db = await factory.CreateDbContextAsync(CancellationToken.None);
            await db.BatchLines.Where(l => l.Id == line.Id && l.Status == BatchLineStatus.Pending).ExecuteUpdateAsync(s => s
                .SetProperty(l => l.Status, error is null ? BatchLineStatus.Succeeded : BatchLineStatus.Failed)
                .SetProperty(l => l.RequestId, caller.RequestId)
                .SetProperty(l => l.StatusCode, error?.Status ?? 200)
                .SetProperty(l => l.ResponseBody, body)
                .SetProperty(l => l.CostNanoUsd, Money.ToNanoUsd(outcome?.Cost ?? 0m))
                .SetProperty(l => l.InteractiveCostNanoUsd, Money.ToNanoUsd(interactive))
                .SetProperty(l => l.Retries, retries)
                .SetProperty(l => l.FinishedAt, time.GetUtcNow()), CancellationToken.None);
        }
        catch (LedgerUnavailableException ex)
        {
            LineNotRecorded(logger, batch.Id, line.Line, ex.Message);
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>
    /// Counts the line against its key's requests per minute like any request; a key at its limit makes the batch wait
    /// for the next minute rather than fail the line. (Its tokens are counted when the line settles, as for any request.)
    /// </summary>
    private async Task WithinKeyRateAsync(BatchEntity batch, CancellationToken cancellationToken)
    {
        if (batch.ApiKeyId is not { } keyId || keys.Find(keyId) is not { } key)
        {
            return;
        }

        while (await limiter.TryAcquireAsync(key) is { } seconds)
        {
            await Task.Delay(TimeSpan.FromSeconds(seconds), time, cancellationToken);
        }
    }

    /// <summary>
    /// A provider's rate limit or failure (429, 5xx) may pass; a budget or quota refusal (also 429) and a refused
    /// request (4xx) will not, and are final.
    /// </summary>
    private static bool Retryable(ChatError error) =>
        error is { Status: 429, Type: not "insufficient_quota" } or { Status: >= 500 };

    /// <summary>Writes the output and error files and the final status in one transaction, so a crash here repeats it whole.</summary>
    private async Task<bool> FinishAsync(BatchEntity batch, string final, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        if (final == BatchStatus.Completed)
        {
            await db.Batches.Where(b => b.Id == batch.Id && b.LeaseOwner == _instance).ExecuteUpdateAsync(s => s.SetProperty(b => b.Status, BatchStatus.Finalizing).SetProperty(b => b.FinalizingAt, now), cancellationToken);
        }

        using var output = new MemoryStream();
        using var errors = new MemoryStream();
        using var outputWriter = new Utf8JsonWriter(output);
        using var errorWriter = new Utf8JsonWriter(errors);
        var lines = db.BatchLines.AsNoTracking().Where(l => l.BatchId == batch.Id).OrderBy(l => l.Line)
            .Select(l => new { l.Id, l.CustomId, l.Status, l.StatusCode, l.RequestId, l.ResponseBody })
            .AsAsyncEnumerable();
        await foreach (var line in lines.WithCancellation(cancellationToken))
        {
            var id = "batch_req_" + line.Id.ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
            var (writer, stream) = line.Status == BatchLineStatus.Succeeded ? (outputWriter, output) : (errorWriter, errors);
            if (line.Status != BatchLineStatus.Pending)
            {
                BatchOutputFile.WriteResponse(writer, id, line.CustomId, line.StatusCode ?? 200, line.RequestId, line.ResponseBody ?? "null");
            }
            else if (final == BatchStatus.Expired)
            {
                BatchOutputFile.WriteNotRun(writer, id, line.CustomId, "batch_expired", "This request could not be executed before the completion window expired.");
            }
            else
            {
                continue;
            }

            writer.Flush();
            stream.WriteByte((byte)'\n');
            writer.Reset();
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var outputId = AddFile(db, batch, output, "output");
        var errorId = AddFile(db, batch, errors, "error");
        await db.SaveChangesAsync(cancellationToken);

        // Only while this instance still holds the batch: one that lost it mid-way leaves the ending to the new holder.
        var written = await db.Batches.Where(b => b.Id == batch.Id && b.LeaseOwner == _instance).ExecuteUpdateAsync(s => s
            .SetProperty(b => b.Status, final)
            .SetProperty(b => b.OutputFileId, outputId)
            .SetProperty(b => b.ErrorFileId, errorId)
            .SetProperty(b => b.CompletedAt, b => final == BatchStatus.Completed ? now : b.CompletedAt)
            .SetProperty(b => b.CancelledAt, b => final == BatchStatus.Cancelled ? now : b.CancelledAt)
            .SetProperty(b => b.ExpiredAt, b => final == BatchStatus.Expired ? now : b.ExpiredAt), cancellationToken);
        if (written == 0)
        {
            LeaseLost(logger, batch.Id);
            return false;
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    private string? AddFile(CostConsoleDbContext db, BatchEntity batch, MemoryStream content, string kind)
    {
        if (content.Length == 0)
        {
            return null;
        }

        var file = new BatchFileEntity
        {
            Id = "file-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12)),
            ApiKeyId = batch.ApiKeyId,
            Purpose = FilePurposes.BatchOutput,
            Filename = $"{batch.Id}_{kind}.jsonl",
            Bytes = content.Length,
            CreatedAt = time.GetUtcNow(),
            Content = content.ToArray(),
        };
        db.BatchFiles.Add(file);
        return file.Id;
    }

    private sealed record PendingLine(long Id, int Line, string Body, long WorstNanoUsd, string? UpstreamModel, int? UpstreamStatusCode, string? UpstreamBody);

    [LoggerMessage(Level = LogLevel.Information, Message = "Batch {BatchId} is {Status}.")]
    private static partial void BatchFinished(ILogger logger, string batchId, string status);

    [LoggerMessage(Level = LogLevel.Error, Message = "Batch {BatchId} stopped; it is tried again at the next poll.")]
    private static partial void BatchFailed(ILogger logger, string batchId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Batch {BatchId} was taken over by another instance after its lease here lapsed; this instance stops running it.")]
    private static partial void LeaseLost(ILogger logger, string batchId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The lease on batch {BatchId} could not be renewed ({Error}); it is tried again shortly.")]
    private static partial void LeaseNotRenewed(ILogger logger, string batchId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The lease on batch {BatchId} could not be released ({Error}); another instance takes the batch over once it lapses.")]
    private static partial void LeaseNotReleased(ILogger logger, string batchId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Line {Line} of batch {BatchId} could not be recorded ({Error}); it stays pending and runs again.")]
    private static partial void LineNotRecorded(ILogger logger, string batchId, int line, string error);
}
