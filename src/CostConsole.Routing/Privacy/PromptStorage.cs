using System.Text;
using System.Text.Json.Serialization;
using CostConsole.Routing.Requests;

namespace CostConsole.Routing.Privacy;

/// <summary>What the ledger keeps of a prompt besides its hash and token counts.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PromptStorage>))]
public enum PromptStorage
{
    /// <summary>Nothing: the prompt's SHA-256 only; past traffic cannot be re-decided or searched.</summary>
    None,

    /// <summary>The prompt with every value of personal data replaced by its kind's placeholder (<c>[EMAIL]</c>, <c>[CARD]</c>).</summary>
    Redacted,

    /// <summary>The prompt verbatim, personal data included.</summary>
    Full,
}

/// <summary>The prompt text and routing input the ledger stores for one request under a <see cref="PromptStorage"/> policy.</summary>
/// <param name="Redacted">True when at least one value was replaced by a placeholder.</param>
public readonly record struct StoredPrompt(string? Prompt, string? RoutingInput, bool Redacted)
{
    public static StoredPrompt Of(ChatRequest request, PromptStorage storage)
    {
        if (storage == PromptStorage.None)
        {
            return default;
        }

        var findings = storage == PromptStorage.Redacted ? request.PersonalData ?? request.DetectPersonalData(PersonalDataDetector.BuiltIn) : null;
        if (findings is not { Any: true })
        {
            return new StoredPrompt(request.PromptText(), Requests.RoutingInput.From(request).ToJson(), false);
        }

        var prompt = new StringBuilder();
        for (var i = 0; i < request.Messages.Count; i++)
        {
            if (i > 0)
            {
                prompt.Append("\n\n");
            }

            var turn = request.Messages[i];
            prompt.Append(turn.Role).Append(": ").Append(findings.Redact(i, turn.Text));
        }

        var lastUser = request.LastUserIndex;
        var input = Requests.RoutingInput.From(request) with { LastUserText = lastUser < 0 ? request.LastUserText : findings.Redact(lastUser, request.LastUserText) };
        return new StoredPrompt(prompt.ToString(), input.ToJson(), true);
    }
}

/// <summary>
/// The answer text the ledger stores for one request under the same <see cref="PromptStorage"/> policy as its prompt:
/// nothing under <see cref="PromptStorage.None"/>, the text verbatim under <see cref="PromptStorage.Full"/>, and under
/// <see cref="PromptStorage.Redacted"/> every value of personal data replaced by its kind's placeholder, found by the
/// detector that scanned the request.
/// </summary>
public static class StoredAnswer
{
    public static string? Of(string? answer, ChatRequest request, PromptStorage storage)
    {
        if (storage == PromptStorage.None || string.IsNullOrEmpty(answer))
        {
            return null;
        }

        if (storage == PromptStorage.Full)
        {
            return answer;
        }

        var findings = request.PersonalDataDetector.Scan(answer);
        return findings.Any ? findings.Redact(0, answer) : answer;
    }
}

/// <summary>Prompt storage policies as configuration, the database and the console write them: <c>none</c>, <c>redacted</c>, <c>full</c>.</summary>
public static class PromptStorageNames
{
    public static string Of(PromptStorage storage) => storage.ToString().ToLowerInvariant();

    /// <summary>The policy named <paramref name="name"/> (case-insensitive), or null for an empty or unknown name.</summary>
    public static PromptStorage? Parse(string? name) =>
        !string.IsNullOrWhiteSpace(name) && Enum.TryParse<PromptStorage>(name.Trim(), ignoreCase: true, out var storage) && Enum.IsDefined(storage) && !int.TryParse(name, out _)
            ? storage
            : null;
}
