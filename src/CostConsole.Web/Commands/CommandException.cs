namespace CostConsole.Web.Commands;

/// <summary>A command that cannot go on, with the message to print; it exits with code 2.</summary>
internal sealed class CommandException(string message) : Exception(message);
