using System.Text;
using System.Text.Json;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;

namespace CostConsole.Routing.Protocols.Batches;

/// <summary>One request of a batch input file: its line number, the client's id for it, and its body.</summary>
/// <param name="Body">The line's <c>body</c> object as JSON, exactly as a <c>/v1/chat/completions</c> request.</param>
public sealed record BatchInputLine(int Line, string CustomId, string Body, string Model, long PromptTokens, int? MaxTokens);

/// <summary>A line of a batch input file that cannot run, and why.</summary>
public sealed record BatchLineProblem(int Line, string Reason)
{
    public override string ToString() => $"line {Line}: {Reason}";
}

/// <summary>
/// Reads an OpenAI batch input file: JSONL, one <c>{"custom_id", "method": "POST", "url": "/v1/chat/completions",
/// "body": {...}}</c> per line. Every line is checked as the chat endpoint would check it, so a file that is accepted
/// holds only requests that can run; a file with a bad line is refused whole.
/// </summary>
public static class BatchInputFile
{
    public const string ChatCompletionsUrl = "/v1/chat/completions";

    /// <summary>Problems reported at most; a file with thousands of bad lines needs only the first few to be fixed.</summary>
    public const int ProblemsReported = 10;

    private const int MaxCustomIdLength = 512;

    /// <summary>Reads every line, or returns the problems found (each with its line number) and no lines.</summary>
    /// <param name="knownModel">Whether a line's <c>model</c> can be routed: "auto", a tier or a catalogue model.</param>
    public static (IReadOnlyList<BatchInputLine> Lines, IReadOnlyList<BatchLineProblem> Problems) Read(
        ReadOnlyMemory<byte> content, int maxLines, ITokenCounter tokens, Func<string, bool> knownModel)
    {
        var lines = new List<BatchInputLine>();
        var problems = new List<BatchLineProblem>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var span = content.Span;
        var number = 0;
        var start = 0;
        if (span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            start = 3;
        }

        while (start < span.Length && problems.Count < ProblemsReported)
        {
            var end = span[start..].IndexOf((byte)'\n');
            var length = end < 0 ? span.Length - start : end;
            var line = content.Slice(start, length);
            start += length + 1;
            number++;
            if (line.Span.Trim(" \t\r"u8).IsEmpty)
            {
                continue;
            }

            if (lines.Count + problems.Count >= maxLines)
            {
                problems.Add(new BatchLineProblem(number, $"the file holds more than {maxLines:N0} requests, the most one batch may hold; split it into several batches"));
                break;
            }

            if (ReadLine(line, number, tokens, knownModel, out var problem) is not { } request)
            {
                problems.Add(new BatchLineProblem(number, problem!));
                continue;
            }

            if (!seen.TryAdd(request.CustomId, number))
            {
                problems.Add(new BatchLineProblem(number, $"custom_id '{request.CustomId}' is already used on line {seen[request.CustomId]}; each request needs its own custom_id"));
                continue;
            }

            lines.Add(request);
        }

        if (problems.Count == 0 && lines.Count == 0)
        {
            problems.Add(new BatchLineProblem(Math.Max(1, number), "the file holds no requests; write one JSON object per line"));
        }

        return problems.Count > 0 ? ([], problems) : (lines, problems);
    }

    /// <summary>The problems as one sentence a person can act on.</summary>
    public static string Describe(IReadOnlyList<BatchLineProblem> problems)
    {
        var text = new StringBuilder("The batch file cannot run, nothing was started: ");
        text.AppendJoin("; ", problems.Select(p => p.ToString()));
        if (problems.Count >= ProblemsReported)
        {
            text.Append("; (stopped after ").Append(ProblemsReported).Append(" problems)");
        }

        return text.Append('.').ToString();
    }

    private static BatchInputLine? ReadLine(ReadOnlyMemory<byte> line, int number, ITokenCounter tokens, Func<string, bool> knownModel, out string? problem)
    {
        problem = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException ex)
        {
            problem = $"not valid JSON ({ex.Message.Split(" LineNumber", 2)[0].TrimEnd('.', ' ')})";
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                problem = "each line must be a JSON object with custom_id, method, url and body";
                return null;
            }

            if (!root.TryGetProperty("custom_id", out var id) || id.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(id.GetString()))
            {
                problem = "'custom_id' is missing; give every request a non-empty string id to find its answer by";
                return null;
            }

            var customId = id.GetString()!;
            if (customId.Length > MaxCustomIdLength)
            {
                problem = $"'custom_id' is {customId.Length:N0} characters long, over the {MaxCustomIdLength} allowed";
                return null;
            }

            if (!root.TryGetProperty("method", out var method) || method.ValueKind != JsonValueKind.String || method.GetString() != "POST")
            {
                problem = "'method' must be \"POST\"";
                return null;
            }

            if (!root.TryGetProperty("url", out var url) || url.ValueKind != JsonValueKind.String)
            {
                problem = $"'url' is missing; it must be \"{ChatCompletionsUrl}\"";
                return null;
            }

            if (url.GetString() != ChatCompletionsUrl)
            {
                problem = $"the request is for '{url.GetString()}', but this batch endpoint runs only \"{ChatCompletionsUrl}\" requests";
                return null;
            }

            if (!root.TryGetProperty("body", out var body) || body.ValueKind != JsonValueKind.Object)
            {
                problem = "'body' is missing; it must be the chat completions request as a JSON object";
                return null;
            }

            var json = body.GetRawText();
            ChatRequest request;
            try
            {
                request = ChatRequestParser.Parse(Encoding.UTF8.GetBytes(json), null, tokens);
            }
            catch (ChatRequestException ex)
            {
                problem = ex.Message;
                return null;
            }

            using (request)
            {
                if (request.Stream)
                {
                    problem = "'stream' is true, but batch answers are written whole to the output file; remove 'stream'";
                    return null;
                }

                if (!knownModel(request.Model))
                {
                    problem = $"model '{request.Model}' is neither \"auto\", a tier nor a model of the catalogue (GET /v1/models lists them)";
                    return null;
                }

                return new BatchInputLine(number, customId, json, request.Model, request.PromptTokens, request.MaxTokens);
            }
        }
    }
}
