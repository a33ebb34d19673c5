namespace CostConsole.Data.Catalogue;

/// <summary>Protects provider API keys at rest; the host backs it with ASP.NET Data Protection.</summary>
public interface ISecretProtector
{
    string Protect(string secret);

    /// <summary>Null when the secret cannot be read any more (e.g. the key ring was lost).</summary>
    string? Unprotect(string protectedSecret);
}
