namespace CostConsole.Web.Access;

/// <summary>The <c>CostConsole:Admin</c> section: the first admin, created at start while no user exists.</summary>
public sealed class AdminOptions
{
    public const string Section = "CostConsole:Admin";

    public string? Email { get; set; }

    public string? Password { get; set; }
}
