using CostConsole.Routing.Decisions;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;

namespace CostConsole.Routing.Escalation;

/// <summary>The request a judge model gets, and how its score is read.</summary>
internal static class JudgeRequest
{
    private const int MaxCharacters = 16_000;

    public static ChatRequest Create(JudgeDefinition definition, RoutedModel judge, string question, string answer, ITokenCounter tokens)
    {
        var prompt = definition.Prompt
            .Replace(JudgeDefinition.QuestionPlaceholder, Clip(question), StringComparison.Ordinal)
            .Replace(JudgeDefinition.AnswerPlaceholder, Clip(answer), StringComparison.Ordinal);
        return RouterRequest.Create(judge.Model.Id, null, prompt, 5, tokens);
    }

    /// <summary>The first digit 1–5 of the judge's answer, e.g. "4", "Score: 4/5", "4 - complete".</summary>
    public static int? Score(string text)
    {
        foreach (var c in text)
        {
            if (c is >= '1' and <= '5')
            {
                return c - '0';
            }

            if (char.IsDigit(c))
            {
                return null;
            }
        }

        return null;
    }

    private static string Clip(string text) => text.Length <= MaxCharacters ? text : text[..MaxCharacters];
}
