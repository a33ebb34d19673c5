namespace CostConsole.Web.Alerts;

/// <summary>The SMTP server alert rules send e-mail through (<c>CostConsole:Alerts:Smtp</c>); without a host, rules offer no e-mail.</summary>
public sealed class AlertEmailOptions
{
    public const string Section = "CostConsole:Alerts:Smtp";

    public string? Host { get; set; }

    public int Port { get; set; } = 25;

    /// <summary>The sender address, e.g. <c>costconsole@example.com</c>.</summary>
    public string? From { get; set; }

    public string? UserName { get; set; }

    public string? Password { get; set; }

    /// <summary>Upgrade the connection with STARTTLS (port 587), or connect over TLS at once on port 465.</summary>
    public bool UseTls { get; set; }

    public bool Configured => !string.IsNullOrWhiteSpace(Host);
}
