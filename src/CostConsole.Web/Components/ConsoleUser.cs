namespace CostConsole.Web.Components;

/// <summary>Who the console records as the author of a change, until people sign in.</summary>
internal static class ConsoleUser
{
    public const string Name = "console";
}
