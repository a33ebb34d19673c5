namespace CostConsole.Data.Keys;

/// <summary>What an API key may reach. A key has at least one scope; new keys have <see cref="Inference"/>.</summary>
[Flags]
public enum KeyScopes
{
    None = 0,

    /// <summary><c>/v1</c>, <c>/api/route/explain</c> and outcome feedback on the key's own requests.</summary>
    Inference = 1,

    /// <summary>Reading spend (the metrics export) for the key's own team, and the catalogue export.</summary>
    Reporting = 2,

    /// <summary>With <see cref="Reporting"/>: reading the whole organisation's spend, the live metrics stream and experiment exports.</summary>
    Organisation = 4,

    All = Inference | Reporting | Organisation,
}

/// <summary>Scopes as they are stored and shown: lower-case names, comma-separated.</summary>
public static class KeyScopeNames
{
    public const string Inference = "inference";

    public const string Reporting = "reporting";

    public const string Organisation = "organisation";

    public static string Format(KeyScopes scopes)
    {
        var names = new List<string>(3);
        if (scopes.HasFlag(KeyScopes.Inference))
        {
            names.Add(Inference);
        }

        if (scopes.HasFlag(KeyScopes.Reporting))
        {
            names.Add(Reporting);
        }

        if (scopes.HasFlag(KeyScopes.Organisation))
        {
            names.Add(Organisation);
        }

        return string.Join(',', names);
    }

    /// <summary>Reads a stored list; unknown names are ignored, so a stray value grants nothing.</summary>
    public static KeyScopes Parse(string? stored)
    {
        var scopes = KeyScopes.None;
        foreach (var name in ApiKeySecrets.SplitList(stored))
        {
            scopes |= name switch
            {
                Inference => KeyScopes.Inference,
                Reporting => KeyScopes.Reporting,
                Organisation => KeyScopes.Organisation,
                _ => KeyScopes.None,
            };
        }

        return scopes;
    }

    /// <summary>How the keys page and error messages describe a key's scopes.</summary>
    public static string Describe(KeyScopes scopes)
    {
        var parts = new List<string>(2);
        if (scopes.HasFlag(KeyScopes.Inference))
        {
            parts.Add("inference");
        }

        if (scopes.HasFlag(KeyScopes.Reporting))
        {
            parts.Add(scopes.HasFlag(KeyScopes.Organisation) ? "reporting (organisation)" : "reporting (own team)");
        }

        return parts.Count == 0 ? "none" : string.Join(", ", parts);
    }
}
