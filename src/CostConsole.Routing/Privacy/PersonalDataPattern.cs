namespace CostConsole.Routing.Privacy;

/// <summary>
/// A kind of personal data an admin adds (a national ID, a customer number): its name, which is also the kind the
/// trace shows and the placeholder (<c>[NAME]</c>) that replaces it; a regular expression; and a sample that must
/// match, so a pattern that catches nothing is refused rather than silently useless.
/// </summary>
public sealed record PersonalDataPattern(string Name, string Pattern, string Test);
