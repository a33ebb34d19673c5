namespace CostConsole.Routing.Privacy;

/// <summary>
/// The kinds of personal data found without configuration, by name as the trace, the ledger and rule conditions
/// write them. Admin patterns add kinds of their own, named by the pattern.
/// </summary>
public static class PersonalDataKinds
{
    public const string Email = "email";

    public const string Phone = "phone";

    public const string Card = "card";

    public const string Iban = "iban";

    public const string IpAddress = "ip";

    /// <summary>The built-in kinds in their fixed order: a kind's index is its bit in a <see cref="PersonalDataFindings"/> mask.</summary>
    public static IReadOnlyList<string> BuiltIn { get; } = [Email, Phone, Card, Iban, IpAddress];

    internal const int EmailIndex = 0;
    internal const int PhoneIndex = 1;
    internal const int CardIndex = 2;
    internal const int IbanIndex = 3;
    internal const int IpIndex = 4;

    /// <summary>What replaces a value of the kind in a redacted prompt: <c>[EMAIL]</c>, <c>[CARD]</c>, <c>[CUSTOMER-NUMBER]</c>.</summary>
    public static string Placeholder(string kind) => "[" + kind.ToUpperInvariant() + "]";
}
