namespace CostConsole.Web.Components;

/// <summary>
/// The author recorded for a change made outside a signed-in session (start-up, commands). A change made in the
/// console records the signed-in user instead: <see cref="Access.ConsoleAccess.ActorAsync"/>, which also checks the role.
/// </summary>
internal static class ConsoleUser
{
    public const string Name = "console";
}
