namespace CostConsole.Data.Entities;

/// <summary>A console page's filters saved under a name: the page's path and its query string, as the address had them.</summary>
public sealed class SavedViewEntity
{
    public const int MaxName = 80;

    public const int MaxQuery = 2000;

    public long Id { get; set; }

    public required string Name { get; set; }

    /// <summary>The console user who saved the view (their sign-in name).</summary>
    public required string Owner { get; set; }

    /// <summary>The page's path, e.g. <c>/spend</c>.</summary>
    public required string Page { get; set; }

    /// <summary>The page's query string with its leading <c>?</c>, or empty.</summary>
    public required string Query { get; set; }

    /// <summary>The role whose users also see the view in their menu; null keeps it to its owner.</summary>
    public string? SharedWithRole { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}
