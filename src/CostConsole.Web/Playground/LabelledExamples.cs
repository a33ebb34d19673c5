using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Routing.Evaluation;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Playground;

public sealed record LabelledExampleView(long Id, string Prompt, string ExpectedTier, string? Note, DateTimeOffset CreatedAt, string CreatedBy);

public sealed record LabelledExamplePage(IReadOnlyList<LabelledExampleView> Rows, int Total);

/// <summary>Whether saving a prompt added it or changed the tier of the one already saved.</summary>
public enum LabelledSaveResult
{
    Added,
    Updated,
}

/// <summary>
/// Prompts saved from the playground with the tier they should get: a growing labelled set the rule editor's
/// labelled check runs on. One row per prompt; saving a prompt again changes its expected tier.
/// </summary>
public sealed class LabelledExamples(IDbContextFactory<CostConsoleDbContext> factory, TimeProvider time)
{
    public const int MaxPromptLength = 20_000;

    /// <exception cref="LabelledSetException">The prompt is empty or too long, or the tier is empty.</exception>
    public async Task<LabelledSaveResult> SaveAsync(string prompt, string expectedTier, string? note, string actor, CancellationToken cancellationToken = default)
    {
        var text = prompt.Trim();
        if (text.Length == 0)
        {
            throw new LabelledSetException("There is no prompt to save: write a user message first.");
        }

        if (text.Length > MaxPromptLength)
        {
            throw new LabelledSetException($"The prompt is {text.Length:N0} characters; saved examples hold at most {MaxPromptLength:N0}.");
        }

        if (string.IsNullOrWhiteSpace(expectedTier))
        {
            throw new LabelledSetException("Choose the tier this prompt should get.");
        }

        var cleanNote = string.IsNullOrWhiteSpace(note) ? null : note.Trim();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var existing = await db.LabelledExamples.FirstOrDefaultAsync(x => x.Prompt == text, cancellationToken);
        if (existing is not null)
        {
            existing.ExpectedTier = expectedTier;
            existing.Note = cleanNote ?? existing.Note;
            await db.SaveChangesAsync(cancellationToken);
            return LabelledSaveResult.Updated;
        }

        db.LabelledExamples.Add(new LabelledExampleEntity { Prompt = text, ExpectedTier = expectedTier, Note = cleanNote, CreatedAt = time.GetUtcNow(), CreatedBy = actor });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return LabelledSaveResult.Added;
        }
        catch (DbUpdateException)
        {
            // Someone saved the same prompt a moment ago: theirs becomes ours.
            await using var retry = await factory.CreateDbContextAsync(cancellationToken);
            await retry.LabelledExamples.Where(x => x.Prompt == text)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.ExpectedTier, expectedTier), cancellationToken);
            return LabelledSaveResult.Updated;
        }
    }

    public async Task<int> CountAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.LabelledExamples.CountAsync(cancellationToken);
    }

    /// <summary>Newest first.</summary>
    public async Task<LabelledExamplePage> PageAsync(int page, int pageSize, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var total = await db.LabelledExamples.CountAsync(cancellationToken);
        var rows = await db.LabelledExamples.AsNoTracking()
            .OrderByDescending(x => x.CreatedAt).ThenByDescending(x => x.Id)
            .Skip(page * pageSize).Take(pageSize)
            .Select(x => new LabelledExampleView(x.Id, x.Prompt, x.ExpectedTier, x.Note, x.CreatedAt, x.CreatedBy))
            .ToListAsync(cancellationToken);
        return new LabelledExamplePage(rows, total);
    }

    public async Task<bool> DeleteAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.LabelledExamples.Where(x => x.Id == id).ExecuteDeleteAsync(cancellationToken) > 0;
    }

    /// <summary>
    /// Every saved example as the labelled check reads them, oldest first (the line is the position).
    /// Examples whose tier no longer exists are left out and counted, so the check can say so.
    /// </summary>
    public async Task<(IReadOnlyList<LabelledPrompt> Prompts, int Skipped)> ForCheckAsync(IReadOnlyCollection<string> tiers, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var all = await db.LabelledExamples.AsNoTracking().OrderBy(x => x.Id).Select(x => new { x.Prompt, x.ExpectedTier }).ToListAsync(cancellationToken);
        var prompts = new List<LabelledPrompt>(all.Count);
        var skipped = 0;
        foreach (var example in all)
        {
            var tier = tiers.FirstOrDefault(t => string.Equals(t, example.ExpectedTier, StringComparison.OrdinalIgnoreCase));
            if (tier is null)
            {
                skipped++;
                continue;
            }

            prompts.Add(new LabelledPrompt(example.Prompt, tier, prompts.Count + 1));
        }

        return (prompts, skipped);
    }
}
