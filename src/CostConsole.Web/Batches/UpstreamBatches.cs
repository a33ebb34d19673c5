using System.Text;
using System.Text.Json;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Experiments;
using CostConsole.Routing.Providers;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CostConsole.Web.Batches;

/// <summary>
/// Sends the lines of a batch that the router gives to a provider with a batch interface to that provider as one
/// upstream batch, polls it, and stores each line's answer for the runner, which then runs the line through the
/// pipeline with that answer (<see cref="UpstreamBatchAnswers"/>). Every step is stored before the next, so after a
/// restart an upstream batch is polled again by its id, never sent twice.
/// </summary>
internal sealed partial class UpstreamBatches(
    IDbContextFactory<CostConsoleDbContext> factory,
    RoutingState routing,
    UpstreamBatchClient client,
    ITokenCounter tokens,
    IOptions<BatchOptions> options,
    TimeProvider time,
    ILogger<UpstreamBatches> logger)
{
    /// <summary>
    /// Routes every pending line once and sets aside, per provider with a batch interface, those whose first choice is
    /// one of its models. Done once per batch; a line the router cannot decide stays with the console, which reports why.
    /// </summary>
    public async Task PlanAsync(BatchEntity batch, CancellationToken cancellationToken)
    {
        var snapshot = routing.Current;
        if (batch.UpstreamPlanned || !snapshot.Providers.Any(p => p.HasBatchApi))
        {
            return;
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var lines = await db.BatchLines.Where(l => l.BatchId == batch.Id && l.Status == BatchLineStatus.Pending && l.UpstreamBatchId == null)
            .OrderBy(l => l.Line).ToListAsync(cancellationToken);
        var groups = new Dictionary<string, List<(BatchLineEntity Line, RoutedModel Model)>>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            if (await FirstChoiceAsync(snapshot, batch, line, cancellationToken) is { Provider.HasBatchApi: true } model)
            {
                (groups.TryGetValue(model.Provider.Name, out var group) ? group : groups[model.Provider.Name] = []).Add((line, model));
            }
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        foreach (var (provider, group) in groups)
        {
            var upstream = new UpstreamBatchEntity { BatchId = batch.Id, Provider = provider, Status = UpstreamBatchStatus.Submitting, CreatedAt = time.GetUtcNow() };
            db.UpstreamBatches.Add(upstream);
            await db.SaveChangesAsync(cancellationToken);
            foreach (var (line, model) in group)
            {
                line.UpstreamBatchId = upstream.Id;
                line.UpstreamModel = model.Key;
            }
        }

        await db.Batches.Where(b => b.Id == batch.Id).ExecuteUpdateAsync(s => s.SetProperty(b => b.UpstreamPlanned, true), cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        batch.UpstreamPlanned = true;
        foreach (var (provider, group) in groups)
        {
            Planned(logger, batch.Id, group.Count, provider);
        }
    }

    /// <summary>
    /// Sends what is not yet sent, then polls each upstream batch until it ends and its answers are stored. Returns when
    /// none is left open, or when <paramref name="cancelled"/> fires (a cancel, a shutdown) or the batch's window closes.
    /// </summary>
    public async Task RunAsync(BatchEntity batch, CancellationToken cancelled)
    {
        try
        {
            await PollAsync(batch, cancelled);
        }
        catch (OperationCanceledException) when (cancelled.IsCancellationRequested)
        {
            // Cancelled or shutting down: a restart polls again by the stored id.
        }
    }

    private async Task PollAsync(BatchEntity batch, CancellationToken cancelled)
    {
        var poll = TimeSpan.FromSeconds(options.Value.UpstreamPollSeconds);
        while (!cancelled.IsCancellationRequested && time.GetUtcNow() < batch.ExpiresAt)
        {
            List<UpstreamBatchEntity> open;
            await using (var db = await factory.CreateDbContextAsync(cancelled))
            {
                open = await db.UpstreamBatches.AsNoTracking()
                    .Where(u => u.BatchId == batch.Id && (u.Status == UpstreamBatchStatus.Submitting || u.Status == UpstreamBatchStatus.InProgress))
                    .ToListAsync(cancelled);
            }

            if (open.Count == 0)
            {
                return;
            }

            foreach (var upstream in open)
            {
                try
                {
                    await AdvanceAsync(batch, upstream, cancelled);
                }
                catch (Exception ex) when (!cancelled.IsCancellationRequested)
                {
                    // A provider that is down for a moment is asked again at the next poll.
                    NotReached(logger, upstream.Provider, batch.Id, ex.Message);
                }
            }

            await Task.Delay(poll, time, cancelled).ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>Asks the providers to stop the batch's upstream batches that are still running; what they answered stays.</summary>
    public async Task CancelAsync(string batchId)
    {
        await using var db = await factory.CreateDbContextAsync(CancellationToken.None);
        var open = await db.UpstreamBatches.AsNoTracking().Where(u => u.BatchId == batchId && u.Status == UpstreamBatchStatus.InProgress && u.ExternalId != null).ToListAsync();
        foreach (var upstream in open)
        {
            try
            {
                if (Provider(upstream.Provider) is { } provider)
                {
                    await client.CancelAsync(provider, upstream.ExternalId!, CancellationToken.None);
                }
            }
            catch (Exception ex)
            {
                NotReached(logger, upstream.Provider, batchId, ex.Message);
            }
        }
    }

    private async Task AdvanceAsync(BatchEntity batch, UpstreamBatchEntity upstream, CancellationToken cancellationToken)
    {
        if (Provider(upstream.Provider) is not { HasBatchApi: true } provider)
        {
            // The provider was removed or lost its batch interface: its lines run inside the console.
            await GiveUpAsync(upstream, $"Provider '{upstream.Provider}' no longer has a batch interface in the catalogue.", cancellationToken);
            return;
        }

        if (upstream.ExternalId is null)
        {
            await SubmitAsync(batch, upstream, provider, cancellationToken);
            return;
        }

        var state = await client.GetAsync(provider, upstream.ExternalId, cancellationToken);
        if (!state.IsFinished)
        {
            return;
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var lines = await db.BatchLines.Where(l => l.UpstreamBatchId == upstream.Id).ToDictionaryAsync(l => l.Id, cancellationToken);
        foreach (var fileId in new[] { state.OutputFileId, state.ErrorFileId })
        {
            if (fileId is null)
            {
                continue;
            }

            var content = await client.DownloadAsync(provider, fileId, cancellationToken);
            foreach (var text in content.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                using var result = JsonDocument.Parse(text);
                var root = result.RootElement;
                if (!long.TryParse(root.GetProperty("custom_id").GetString(), out var lineId) || !lines.TryGetValue(lineId, out var line))
                {
                    continue;
                }

                if (root.TryGetProperty("response", out var response) && response.ValueKind == JsonValueKind.Object)
                {
                    line.UpstreamStatusCode = response.GetProperty("status_code").GetInt32();
                    line.UpstreamBody = response.GetProperty("body").GetRawText();
                }
            }
        }

        // Lines the provider gave no answer for (its batch failed, expired or was cancelled) run inside the console.
        foreach (var line in lines.Values.Where(l => l.UpstreamStatusCode is null))
        {
            line.UpstreamBatchId = null;
            line.UpstreamModel = null;
        }

        var entity = await db.UpstreamBatches.SingleAsync(u => u.Id == upstream.Id, cancellationToken);
        entity.Status = UpstreamBatchStatus.Done;
        entity.FinishedAt = time.GetUtcNow();
        entity.Error = state.Status == "completed" ? null : $"The provider's batch ended {state.Status}.";
        await db.SaveChangesAsync(cancellationToken);
        Finished(logger, upstream.ExternalId, upstream.Provider, batch.Id, state.Status);
    }

    private async Task SubmitAsync(BatchEntity batch, UpstreamBatchEntity upstream, ProviderEndpoint provider, CancellationToken cancellationToken)
    {
        var snapshot = routing.Current;
        var jsonl = new StringBuilder();
        await using (var db = await factory.CreateDbContextAsync(cancellationToken))
        {
            var lines = await db.BatchLines.AsNoTracking().Where(l => l.UpstreamBatchId == upstream.Id).OrderBy(l => l.Line)
                .Select(l => new { l.Id, l.Body, l.UpstreamModel }).ToListAsync(cancellationToken);
            foreach (var line in lines)
            {
                using var request = ChatRequestParser.Parse(Encoding.UTF8.GetBytes(line.Body), null, tokens);
                var model = snapshot.FindModel(line.UpstreamModel!);
                if (model is null || model.Provider.Name != provider.Name)
                {
                    await GiveUpAsync(upstream, $"Model '{line.UpstreamModel}' is no longer in the catalogue.", cancellationToken);
                    return;
                }

                var body = UpstreamBatchClient.RequestBody(snapshot, model, request);
                jsonl.Append("{\"custom_id\":\"").Append(line.Id).Append("\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":")
                    .Append(body.ToString()).Append("}\n");
            }
        }

        string externalId;
        try
        {
            externalId = await client.SubmitAsync(provider, BinaryData.FromString(jsonl.ToString()), $"{batch.Id}.jsonl", cancellationToken);
        }
        catch (System.ClientModel.ClientResultException ex) when (ex.Status is >= 400 and < 500 and not 408 and not 429)
        {
            // The provider refuses the batch itself (no batch interface after all, a bad key): the lines run here.
            await GiveUpAsync(upstream, $"Provider '{provider.Name}' refused the batch: {ex.Message}", cancellationToken);
            return;
        }

        await using (var db = await factory.CreateDbContextAsync(CancellationToken.None))
        {
            await db.UpstreamBatches.Where(u => u.Id == upstream.Id).ExecuteUpdateAsync(s => s
                .SetProperty(u => u.ExternalId, externalId)
                .SetProperty(u => u.Status, UpstreamBatchStatus.InProgress)
                .SetProperty(u => u.SubmittedAt, time.GetUtcNow()), CancellationToken.None);
        }

        Submitted(logger, externalId, provider.Name, batch.Id);
    }

    private async Task GiveUpAsync(UpstreamBatchEntity upstream, string reason, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.BatchLines.Where(l => l.UpstreamBatchId == upstream.Id && l.UpstreamStatusCode == null)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.UpstreamBatchId, (long?)null).SetProperty(l => l.UpstreamModel, (string?)null), cancellationToken);
        await db.UpstreamBatches.Where(u => u.Id == upstream.Id).ExecuteUpdateAsync(s => s
            .SetProperty(u => u.Status, UpstreamBatchStatus.Failed)
            .SetProperty(u => u.Error, reason)
            .SetProperty(u => u.FinishedAt, time.GetUtcNow()), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        GaveUp(logger, upstream.Provider, upstream.BatchId, reason);
    }

    private async Task<RoutedModel?> FirstChoiceAsync(RoutingSnapshot snapshot, BatchEntity batch, BatchLineEntity line, CancellationToken cancellationToken)
    {
        try
        {
            using var request = ChatRequestParser.Parse(Encoding.UTF8.GetBytes(line.Body), null, tokens);
            request.CountPromptTokens(cancellationToken);
            var decision = await snapshot.DecideAsync(request, new AssignmentUnit(batch.ApiKeyId, null, request.User, null), cancellationToken);
            return decision.Candidates.Count > 0 ? decision.Candidates[0] : null;
        }
        catch (ChatRequestException)
        {
            return null;
        }
    }

    private ProviderEndpoint? Provider(string name) => routing.Current.Providers.FirstOrDefault(p => p.Name == name);

    [LoggerMessage(Level = LogLevel.Information, Message = "Batch {BatchId}: {Count} lines go to provider {Provider}'s batch interface.")]
    private static partial void Planned(ILogger logger, string batchId, int count, string provider);

    [LoggerMessage(Level = LogLevel.Information, Message = "Upstream batch {ExternalId} sent to {Provider} for batch {BatchId}.")]
    private static partial void Submitted(ILogger logger, string externalId, string provider, string batchId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Upstream batch {ExternalId} at {Provider} for batch {BatchId} ended {Status}; its answers are stored.")]
    private static partial void Finished(ILogger logger, string externalId, string provider, string batchId, string status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Provider {Provider}'s batch interface could not be reached for batch {BatchId} ({Error}); asked again at the next poll.")]
    private static partial void NotReached(ILogger logger, string provider, string batchId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Provider {Provider}'s batch interface is not used for batch {BatchId}: {Reason} Its lines run inside the console.")]
    private static partial void GaveUp(ILogger logger, string provider, string batchId, string reason);
}
