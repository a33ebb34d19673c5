using System.Text.Json;
using FluentValidation;

namespace CostConsole.Web.Playground;

/// <summary>One turn of the conversation being composed.</summary>
public sealed class TurnForm
{
    public string Role { get; set; } = "user";

    public string Content { get; set; } = "";
}

/// <summary>One metadata entry of the request (<c>metadata</c> in the body).</summary>
public sealed class MetadataForm
{
    public string Key { get; set; } = "";

    public string Value { get; set; } = "";
}

/// <summary>What the playground sends: a conversation and the request's options, as a person edits them.</summary>
public sealed class PlaygroundForm
{
    public const int MaxTokensLimit = 32_768;

    public static readonly IReadOnlyList<string> Roles = ["system", "user", "assistant"];

    public List<TurnForm> Turns { get; set; } =
    [
        new() { Role = "system", Content = "You are a helpful customer support assistant." },
        new() { Role = "user", Content = "" },
    ];

    /// <summary>As the <c>x-costconsole-tags</c> header: comma-separated tags and key=value pairs.</summary>
    public string Tags { get; set; } = "";

    public List<MetadataForm> Metadata { get; set; } = [];

    /// <summary>The request's <c>tools</c>: a JSON array, or empty for none.</summary>
    public string Tools { get; set; } = "";

    /// <summary>Ask for a JSON object (<c>response_format: json_object</c>).</summary>
    public bool Json { get; set; }

    public int? MaxTokens { get; set; }

    /// <summary><c>auto</c>, a tier name, or a catalogue model.</summary>
    public string Model { get; set; } = "auto";

    public bool Stream { get; set; } = true;

    /// <summary>The last user message: what rules and the labelled check read as the prompt.</summary>
    public string LastUserMessage => Turns.LastOrDefault(t => t.Role == "user")?.Content.Trim() ?? "";
}

public sealed class PlaygroundFormValidator : AbstractValidator<PlaygroundForm>
{
    public PlaygroundFormValidator(IReadOnlyCollection<string> models)
    {
        RuleFor(f => f.Turns)
            .Must(t => t.Any(turn => turn.Role == "user" && !string.IsNullOrWhiteSpace(turn.Content)))
            .WithMessage("Write a user message: the conversation needs at least one.");
        RuleFor(f => f.Turns)
            .Must(t => t.Count == 0 || t[^1].Role == "user")
            .WithMessage("End the conversation with a user turn: that is what the model answers.");
        RuleForEach(f => f.Turns).ChildRules(turn =>
        {
            turn.RuleFor(t => t.Role).Must(r => PlaygroundForm.Roles.Contains(r)).WithMessage("A turn's role is system, user or assistant.");
            turn.RuleFor(t => t.Content).NotEmpty().WithMessage("This turn is empty: write it or remove it.");
        });
        RuleForEach(f => f.Metadata).ChildRules(entry =>
        {
            entry.RuleFor(m => m.Key).NotEmpty().WithMessage("A metadata entry needs a key (or remove it).");
        });
        RuleFor(f => f.Metadata)
            .Must(m => m.Where(e => e.Key.Trim().Length > 0).GroupBy(e => e.Key.Trim(), StringComparer.OrdinalIgnoreCase).All(g => g.Count() == 1))
            .WithMessage("Each metadata key can appear only once.");
        RuleFor(f => f.Tools)
            .Custom((tools, context) =>
            {
                if (ToolsProblem(tools) is { } problem)
                {
                    context.AddFailure(nameof(PlaygroundForm.Tools), problem);
                }
            });
        RuleFor(f => f.MaxTokens)
            .InclusiveBetween(1, PlaygroundForm.MaxTokensLimit).WithMessage($"Max tokens is a whole number from 1 to {PlaygroundForm.MaxTokensLimit:N0}, or empty for the model's own limit.")
            .When(f => f.MaxTokens is not null);
        RuleFor(f => f.Model)
            .Must(m => m == "auto" || models.Contains(m)).WithMessage("Choose auto, a tier or a model from the catalogue.");
    }

    /// <summary>Why the tools text is not a usable <c>tools</c> array; null when it is empty or fine.</summary>
    public static string? ToolsProblem(string? tools)
    {
        if (string.IsNullOrWhiteSpace(tools))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(tools);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                return "Tools must be a JSON array of tool definitions, e.g. [{\"type\": \"function\", \"function\": {\"name\": \"lookup_order\"}}].";
            }

            var index = 0;
            foreach (var tool in document.RootElement.EnumerateArray())
            {
                if (tool.ValueKind != JsonValueKind.Object)
                {
                    return $"Tools: item {index + 1} is not a JSON object; each tool is {{\"type\": \"function\", \"function\": {{…}}}}.";
                }

                index++;
            }

            return null;
        }
        catch (JsonException ex)
        {
            return $"Tools is not valid JSON: {ex.Message}";
        }
    }
}
