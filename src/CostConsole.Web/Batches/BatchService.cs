using System.Security.Cryptography;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Protocols.Batches;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;
using CostConsole.Web.Budgets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CostConsole.Web.Batches;

/// <summary>A batch as clients and the console see it: the stored batch with its line counts and costs.</summary>
public sealed record BatchView(BatchEntity Batch, int Completed, int Failed, decimal Cost, decimal InteractiveCost)
{
    public int Done => Completed + Failed;
}

/// <summary>Batch lines over a period: how many ran, their cost, and their cost at the interactive price.</summary>
public sealed record BatchSpend(int Lines, decimal Cost, decimal InteractiveCost)
{
    public decimal Saved => InteractiveCost - Cost;
}

/// <summary>A stored file without its content.</summary>
public sealed record BatchFileView(string Id, long? ApiKeyId, string Purpose, string Filename, long Bytes, DateTimeOffset CreatedAt);

/// <summary>
/// Files and batches, for the API and the console alike. A key sees only its own files and batches; the console
/// (a null key) sees all of them.
/// </summary>
internal sealed class BatchService(
    IDbContextFactory<CostConsoleDbContext> factory,
    RoutingState routing,
    ITokenCounter tokens,
    BudgetGuard budgets,
    BatchRunner runner,
    IOptions<BatchOptions> options,
    TimeProvider time)
{
    public const string CompletionWindow = "24h";

    public long MaxFileBytes => options.Value.MaxFileBytes;

    /// <summary>Stores an input file once every line of it has been checked; else the problems, with their line numbers.</summary>
    public async Task<(BatchFileView? File, ChatError? Error)> UploadAsync(long? apiKeyId, string filename, string? purpose, byte[] content, CancellationToken cancellationToken)
    {
        if (purpose != FilePurposes.Batch)
        {
            return (null, new ChatError(400, "invalid_request_error", "invalid_purpose",
                $"'purpose' is '{purpose}', but this server stores only batch input files: send purpose=batch.", "purpose"));
        }

        if (content.LongLength > options.Value.MaxFileBytes)
        {
            return (null, TooLarge(content.LongLength));
        }

        var (_, problems) = Read(content);
        if (problems.Count > 0)
        {
            return (null, new ChatError(400, "invalid_request_error", "invalid_batch_file", BatchInputFile.Describe(problems), $"line {problems[0].Line}"));
        }

        var file = new BatchFileEntity
        {
            Id = "file-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)),
            ApiKeyId = apiKeyId,
            Purpose = FilePurposes.Batch,
            Filename = Path.GetFileName(filename) is { Length: > 0 } name ? name[..Math.Min(name.Length, 200)] : "batch.jsonl",
            Bytes = content.LongLength,
            CreatedAt = time.GetUtcNow(),
            Content = content,
        };
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        db.BatchFiles.Add(file);
        await db.SaveChangesAsync(cancellationToken);
        return (View(file), null);
    }

    public ChatError TooLarge(long bytes) => new(413, "invalid_request_error", "file_too_large",
        $"The file is {bytes:N0} bytes, over the {options.Value.MaxFileBytes:N0} bytes a batch file may have (CostConsole:Batches:MaxFileBytes). Split it into several batches.", "file");

    public async Task<BatchFileView?> FindFileAsync(string id, long? apiKeyId, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.BatchFiles.AsNoTracking()
            .Where(f => f.Id == id && (apiKeyId == null || f.ApiKeyId == apiKeyId))
            .Select(f => new BatchFileView(f.Id, f.ApiKeyId, f.Purpose, f.Filename, f.Bytes, f.CreatedAt))
            .FirstOrDefaultAsync(cancellationToken);
    }

    /// <summary>
    /// The key's files, newest first (or oldest first when <paramref name="ascending"/>), <paramref name="limit"/> at
    /// most, after the file <paramref name="after"/> when given, of one purpose when <paramref name="purpose"/> is given.
    /// Null when <paramref name="after"/> names no file of the key's.
    /// </summary>
    public async Task<(IReadOnlyList<BatchFileView> Files, bool HasMore)?> ListFilesAsync(
        long? apiKeyId, string? purpose, string? after, int limit, bool ascending, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var query = db.BatchFiles.AsNoTracking().Where(f => (apiKeyId == null || f.ApiKeyId == apiKeyId) && (purpose == null || f.Purpose == purpose));
        if (after is not null)
        {
            var cursor = await db.BatchFiles.AsNoTracking().Where(f => f.Id == after && (apiKeyId == null || f.ApiKeyId == apiKeyId))
                .Select(f => new { f.CreatedAt, f.Id }).FirstOrDefaultAsync(cancellationToken);
            if (cursor is null)
            {
                return null;
            }

            query = ascending
                ? query.Where(f => f.CreatedAt > cursor.CreatedAt || (f.CreatedAt == cursor.CreatedAt && string.Compare(f.Id, cursor.Id) > 0))
                : query.Where(f => f.CreatedAt < cursor.CreatedAt || (f.CreatedAt == cursor.CreatedAt && string.Compare(f.Id, cursor.Id) < 0));
        }

        query = ascending ? query.OrderBy(f => f.CreatedAt).ThenBy(f => f.Id) : query.OrderByDescending(f => f.CreatedAt).ThenByDescending(f => f.Id);
        var page = await query.Take(limit + 1)
            .Select(f => new BatchFileView(f.Id, f.ApiKeyId, f.Purpose, f.Filename, f.Bytes, f.CreatedAt))
            .ToListAsync(cancellationToken);
        var hasMore = page.Count > limit;
        if (hasMore)
        {
            page.RemoveAt(limit);
        }

        return (page, hasMore);
    }

    public async Task<(string Filename, byte[] Content)?> ContentAsync(string id, long? apiKeyId, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var file = await db.BatchFiles.AsNoTracking()
            .Where(f => f.Id == id && (apiKeyId == null || f.ApiKeyId == apiKeyId))
            .Select(f => new { f.Filename, f.Content })
            .FirstOrDefaultAsync(cancellationToken);
        return file is null ? null : (file.Filename, file.Content);
    }

    public async Task<bool> DeleteFileAsync(string id, long? apiKeyId, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.BatchFiles.Where(f => f.Id == id && (apiKeyId == null || f.ApiKeyId == apiKeyId)).ExecuteDeleteAsync(cancellationToken) > 0;
    }

    /// <summary>
    /// Creates a batch from an uploaded file: checks it again against the catalogue in force, reserves its worst case on
    /// the budgets it falls under, and stores its lines for the runner. Refused, with nothing started, when any of that fails.
    /// </summary>
    public async Task<(BatchView? Batch, ChatError? Error)> CreateAsync(
        long? apiKeyId, string? inputFileId, string? endpoint, string? completionWindow, string? metadataJson, string? createdBy, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(inputFileId))
        {
            return (null, ChatError.InvalidRequest("missing_input_file_id", "'input_file_id' is required: the id POST /v1/files returned for the batch file.", "input_file_id"));
        }

        if (endpoint != BatchInputFile.ChatCompletionsUrl)
        {
            return (null, ChatError.InvalidRequest("invalid_endpoint", $"'endpoint' is '{endpoint}', but batches here run only \"{BatchInputFile.ChatCompletionsUrl}\".", "endpoint"));
        }

        if (completionWindow != CompletionWindow)
        {
            return (null, ChatError.InvalidRequest("invalid_completion_window", $"'completion_window' is '{completionWindow}', but the only window offered is \"{CompletionWindow}\".", "completion_window"));
        }

        byte[] content;
        await using (var db = await factory.CreateDbContextAsync(cancellationToken))
        {
            var file = await db.BatchFiles.AsNoTracking()
                .Where(f => f.Id == inputFileId && (apiKeyId == null || f.ApiKeyId == apiKeyId))
                .Select(f => new { f.Purpose, f.Content })
                .FirstOrDefaultAsync(cancellationToken);
            if (file is null)
            {
                return (null, new ChatError(404, "invalid_request_error", "file_not_found", $"No file '{inputFileId}' was uploaded with this key. Upload it with POST /v1/files (purpose=batch) first.", "input_file_id"));
            }

            if (file.Purpose != FilePurposes.Batch)
            {
                return (null, ChatError.InvalidRequest("invalid_input_file", $"File '{inputFileId}' is a batch's {file.Purpose} file, not an input file uploaded with purpose=batch.", "input_file_id"));
            }

            content = file.Content;
        }

        // Checked again: the catalogue may have changed since the upload.
        var (lines, problems) = Read(content);
        if (problems.Count > 0)
        {
            return (null, new ChatError(400, "invalid_request_error", "invalid_batch_file", BatchInputFile.Describe(problems), "input_file_id"));
        }

        var now = time.GetUtcNow();
        var batch = new BatchEntity
        {
            Id = "batch_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            ApiKeyId = apiKeyId,
            InputFileId = inputFileId,
            Endpoint = endpoint,
            CompletionWindow = completionWindow,
            Status = BatchStatus.Validating,
            CreatedAt = now,
            ExpiresAt = now.AddHours(24),
            Total = lines.Count,
            MetadataJson = metadataJson,
            CreatedBy = createdBy,
        };
        var rows = new List<BatchLineEntity>(lines.Count);
        var worst = 0L;
        var scopes = new BatchScopes();
        foreach (var line in lines)
        {
            var lineWorst = budgets.BatchLineWorstNanoUsd(line.Model, line.PromptTokens, line.MaxTokens, now, scopes);
            worst += lineWorst;
            rows.Add(new BatchLineEntity { BatchId = batch.Id, Line = line.Line, CustomId = line.CustomId, Body = line.Body, WorstNanoUsd = lineWorst });
        }

        batch.ReservedNanoUsd = worst;
        if (budgets.ReserveBatch(batch.Id, apiKeyId, worst, batch.ExpiresAt, scopes) is { } refused)
        {
            return (null, refused);
        }

        try
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            db.Batches.Add(batch);
            db.BatchLines.AddRange(rows);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch
        {
            budgets.ReleaseBatch(batch.Id);
            throw;
        }

        runner.Wake();
        return (new BatchView(batch, 0, 0, 0m, 0m), null);
    }

    public async Task<BatchView?> GetAsync(string id, long? apiKeyId, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var batch = await db.Batches.AsNoTracking().FirstOrDefaultAsync(b => b.Id == id && (apiKeyId == null || b.ApiKeyId == apiKeyId), cancellationToken);
        return batch is null ? null : (await WithCountsAsync(db, [batch], cancellationToken))[0];
    }

    /// <summary>Newest first, <paramref name="limit"/> at most, after the batch <paramref name="after"/> when given.</summary>
    public async Task<(IReadOnlyList<BatchView> Batches, bool HasMore)> ListAsync(long? apiKeyId, string? after, int limit, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var query = db.Batches.AsNoTracking().Where(b => apiKeyId == null || b.ApiKeyId == apiKeyId);
        if (after is not null)
        {
            var cursor = await query.Where(b => b.Id == after).Select(b => new { b.CreatedAt, b.Id }).FirstOrDefaultAsync(cancellationToken);
            if (cursor is not null)
            {
                query = query.Where(b => b.CreatedAt < cursor.CreatedAt || (b.CreatedAt == cursor.CreatedAt && string.Compare(b.Id, cursor.Id) < 0));
            }
        }

        var page = await query.OrderByDescending(b => b.CreatedAt).ThenByDescending(b => b.Id).Take(limit + 1).ToListAsync(cancellationToken);
        var hasMore = page.Count > limit;
        if (hasMore)
        {
            page.RemoveAt(limit);
        }

        return (await WithCountsAsync(db, page, cancellationToken), hasMore);
    }

    /// <summary>Stops a batch: lines not yet started never run; what finished stays in its output file.</summary>
    public async Task<(BatchView? Batch, ChatError? Error)> CancelAsync(string id, long? apiKeyId, CancellationToken cancellationToken)
    {
        await using (var db = await factory.CreateDbContextAsync(cancellationToken))
        {
            var batch = await db.Batches.FirstOrDefaultAsync(b => b.Id == id && (apiKeyId == null || b.ApiKeyId == apiKeyId), cancellationToken);
            if (batch is null)
            {
                return (null, null);
            }

            if (batch.Status is BatchStatus.Validating or BatchStatus.InProgress)
            {
                batch.Status = BatchStatus.Cancelling;
                batch.CancellingAt = time.GetUtcNow();
                await db.SaveChangesAsync(cancellationToken);
            }
            else if (batch.Status is not (BatchStatus.Cancelling or BatchStatus.Cancelled))
            {
                return (null, new ChatError(409, "invalid_request_error", "batch_not_cancellable", $"Batch '{id}' is {batch.Status.Replace('_', ' ')}; only a batch that is validating or in progress can be cancelled."));
            }
        }

        runner.Cancel(id);
        return (await GetAsync(id, apiKeyId, cancellationToken), null);
    }

    /// <summary>What batch lines finished since <paramref name="since"/> cost, and what the same calls cost at the interactive price.</summary>
    public async Task<BatchSpend> SpendSinceAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var lines = db.BatchLines.AsNoTracking().Where(l => l.Status != BatchLineStatus.Pending && l.FinishedAt >= since);
        var count = await lines.CountAsync(cancellationToken);
        var cost = await lines.SumAsync(l => (long?)l.CostNanoUsd, cancellationToken) ?? 0;
        var interactive = await lines.SumAsync(l => (long?)l.InteractiveCostNanoUsd, cancellationToken) ?? 0;
        return new BatchSpend(count, Money.FromNanoUsd(cost), Money.FromNanoUsd(interactive));
    }

    private (IReadOnlyList<BatchInputLine> Lines, IReadOnlyList<BatchLineProblem> Problems) Read(byte[] content)
    {
        var snapshot = routing.Current;
        return BatchInputFile.Read(content, options.Value.MaxLines, tokens,
            model => model == ChatRequestParser.AutoModel || snapshot.IsTier(model) || snapshot.FindModel(model) is not null);
    }

    private static BatchFileView View(BatchFileEntity f) => new(f.Id, f.ApiKeyId, f.Purpose, f.Filename, f.Bytes, f.CreatedAt);

    private static async Task<IReadOnlyList<BatchView>> WithCountsAsync(CostConsoleDbContext db, List<BatchEntity> batches, CancellationToken cancellationToken)
    {
        var ids = batches.Select(b => b.Id).ToList();
        var counts = await db.BatchLines.AsNoTracking()
            .Where(l => ids.Contains(l.BatchId) && l.Status != BatchLineStatus.Pending)
            .GroupBy(l => new { l.BatchId, l.Status })
            .Select(g => new { g.Key.BatchId, g.Key.Status, Count = g.Count(), Cost = g.Sum(l => l.CostNanoUsd), Interactive = g.Sum(l => l.InteractiveCostNanoUsd) })
            .ToListAsync(cancellationToken);
        return [.. batches.Select(b =>
        {
            var mine = counts.Where(c => c.BatchId == b.Id).ToList();
            return new BatchView(
                b,
                mine.Where(c => c.Status == BatchLineStatus.Succeeded).Sum(c => c.Count),
                mine.Where(c => c.Status == BatchLineStatus.Failed).Sum(c => c.Count),
                Money.FromNanoUsd(mine.Sum(c => c.Cost)),
                Money.FromNanoUsd(mine.Sum(c => c.Interactive)));
        })];
    }
}
