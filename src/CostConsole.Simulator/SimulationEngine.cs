using System.Text;
using CostConsole.Routing.Tokens;
using Microsoft.ML.Tokenizers;

namespace CostConsole.Simulator;

/// <summary>
/// Decides a simulated answer: faults, text, token log-probabilities, usage and timing. Pure apart from the
/// two bounded memories real providers also have (how often a request was retried, which system prompts are cached).
/// </summary>
internal sealed class SimulationEngine(SimulatorSettings settings, ITokenCounter tokenCounter)
{
    /// <summary>Providers cache prompt prefixes from this size on.</summary>
    internal const int MinCachedPromptTokens = 1024;

    /// <summary>Tokens a function call costs beyond its name and arguments.</summary>
    internal const int ToolCallFramingTokens = 7;

    private static readonly Lazy<Tokenizer> SharedTokenizer = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));

    // Frequent tokens offered as the runners-up in top_logprobs.
    private static readonly string[] CommonTokens =
    [
        " the", " a", " your", " to", " and", " you", " we", " it", " this", " is", " of", " for", " can", " on",
        " in", " with", " be", " our", ",", ".",
    ];

    private readonly OccurrenceCounter _requestsSeen = new(capacity: 20_000);
    private readonly OccurrenceCounter _systemPromptsSeen = new(capacity: 2_000);

    public SimulatedCompletion Simulate(ChatCompletionRequest request, SimulatedModelProfile profile)
    {
        var requestKey = new StableHash();
        requestKey.Add(profile.Id);
        foreach (var message in request.Messages)
        {
            requestKey.Add(message.Role);
            requestKey.Add(message.Text);
        }

        // The occurrence count lets a retry of the same request roll its faults again, still deterministically.
        var seed = new StableHash();
        seed.Add((ulong)settings.Seed);
        seed.Add(requestKey.Value);
        seed.Add((ulong)_requestsSeen.Record(requestKey.Value));
        var random = new Random(seed.ToSeed());

        var fault = RollFault(random, profile, request.Stream);
        var latencyScale = settings.LatencyScale;
        if (fault is SimulatedFault.ServerError or SimulatedFault.RateLimit or SimulatedFault.Timeout)
        {
            return new SimulatedCompletion
            {
                Model = request.Model,
                Fault = fault,
                Hang = TimeSpan.FromSeconds(profile.HangSeconds * latencyScale),
            };
        }

        var difficulty = PromptDifficulty.Estimate(request.Prompt);
        var gap = Math.Max(0, difficulty - profile.Capability);

        var toolCall = ToolCallAnswer.For(request, random);
        string content;
        if (toolCall is not null)
        {
            // The arguments are what the model generates, token by token, instead of content.
            content = toolCall.Arguments;
        }
        else
        {
            var text = ClassificationAnswer.For(request, difficulty, profile, random)
                       ?? JudgeAnswer.For(request, random)
                       ?? WorkedTotals.Append(
                           ComposeAnswer(random, request.Prompt, difficulty, gap, profile.AnswerTokens),
                           request.Prompt,
                           WorkedTotals.SlipRate(settings.ArithmeticSlipRate, profile.Capability),
                           new Random(seed.ToSeed() ^ 0x5EED)); // its own draws, so the rest of the answer stays as it was
            if (ToolCallAnswer.FromToolResults(request) is { } found)
            {
                text = found + " " + text;
            }

            content = request.ResponseSchema is { } schema ? FollowSchema(random, schema, request.Prompt, text, gap)
                : request.JsonResponse ? ToJson(random, text, gap)
                : text;
        }

        // A stop sequence ends the answer just before it, as a real model's server does; arguments are never cut.
        string? stopSequence = null;
        if (toolCall is null && request.Stop.Count > 0)
        {
            var cut = -1;
            foreach (var sequence in request.Stop)
            {
                var at = content.IndexOf(sequence, StringComparison.Ordinal);
                if (at >= 0 && (cut < 0 || at < cut))
                {
                    (cut, stopSequence) = (at, sequence);
                }
            }

            content = cut >= 0 ? content[..cut] : content;
        }

        var encoded = SharedTokenizer.Value.EncodeToTokens(content, out _);
        var finishReason = toolCall is null ? "stop" : "tool_calls";
        var tokenCount = encoded.Count;
        if (request.MaxTokens is { } maxTokens && maxTokens < tokenCount)
        {
            tokenCount = maxTokens;
            finishReason = "length";
        }

        var tokenTexts = new string[tokenCount];
        for (var i = 0; i < tokenCount; i++)
        {
            tokenTexts[i] = content[encoded[i].Offset];
        }

        var chunkSizes = new List<int>();
        for (var remaining = tokenCount; remaining > 0;)
        {
            var size = Math.Min(remaining, random.Next(1, 5));
            chunkSizes.Add(size);
            remaining -= size;
        }

        var scale = latencyScale * profile.SlowdownFactor;
        var generated = string.Concat(tokenTexts);
        return new SimulatedCompletion
        {
            Model = request.Model,
            Fault = fault,
            Difficulty = difficulty,
            Content = toolCall is null ? generated : "",
            ToolCall = toolCall is null ? null : toolCall with { Arguments = generated },
            // A call also costs its function name and the call's framing.
            OverheadTokens = toolCall is null ? 0 : SharedTokenizer.Value.CountTokens(toolCall.Name) + ToolCallFramingTokens,
            Tokens = AssignLogprobs(random, tokenTexts, gap, request.TopLogprobs),
            ChunkSizes = chunkSizes,
            FinishReason = finishReason,
            StopSequence = finishReason == "stop" ? stopSequence : null,
            PromptTokens = CountPromptTokens(request.Messages),
            CachedPromptTokens = CachedTokens(request.Messages, profile.Id),
            TimeToFirstToken = TimeSpan.FromMilliseconds(profile.TimeToFirstTokenMs * scale),
            TimePerToken = TimeSpan.FromSeconds(scale / profile.TokensPerSecond),
        };
    }

    /// <summary>OpenAI's accounting for chat prompts: each message costs its text plus 3, and the reply is primed with 3 more.</summary>
    public int CountPromptTokens(IReadOnlyList<RequestMessage> messages) =>
        (int)Math.Min(int.MaxValue, PromptTokenCount.Of(messages, message => message.Text, tokenCounter, CancellationToken.None).Tokens);

    private static SimulatedFault RollFault(Random random, SimulatedModelProfile profile, bool stream)
    {
        // Every roll is drawn even when an earlier one hits, so one fault rate never shifts another's outcomes.
        var error = random.NextDouble() < profile.ErrorRate;
        var rateLimit = random.NextDouble() < profile.RateLimitRate;
        var timeout = random.NextDouble() < profile.TimeoutRate;
        var streamCut = random.NextDouble() < profile.StreamCutRate;

        // Drawn only when set, so the answers of every profile without it stay as they were.
        var streamError = profile.StreamErrorRate > 0 && random.NextDouble() < profile.StreamErrorRate;
        return error ? SimulatedFault.ServerError
            : rateLimit ? SimulatedFault.RateLimit
            : timeout ? SimulatedFault.Timeout
            : stream && streamCut ? SimulatedFault.StreamCut
            : stream && streamError ? SimulatedFault.StreamError
            : SimulatedFault.None;
    }

    private int CachedTokens(IReadOnlyList<RequestMessage> messages, string modelId)
    {
        var system = messages.FirstOrDefault(message => message.Role is "system" or "developer");
        if (system is null)
        {
            return 0;
        }

        var tokens = (int)Math.Min(int.MaxValue, PromptTokenCount.Of([system], message => message.Text, tokenCounter, CancellationToken.None).Tokens - 6);
        if (tokens < MinCachedPromptTokens)
        {
            return 0;
        }

        var key = new StableHash();
        key.Add(modelId);
        key.Add(system.Text);
        return _systemPromptsSeen.Record(key.Value) > 0 ? tokens : 0;
    }

    private static string ComposeAnswer(Random random, string prompt, double difficulty, double gap, int answerTokens)
    {
        // About AnswerTokens long, within ±20%; sentences are only approximately counted, the exact count comes from the tokenizer.
        var target = answerTokens * (0.8 + 0.4 * random.NextDouble());
        var openings = AnswerBank.OpeningsFor(prompt);
        var details = Shuffle(random, AnswerBank.DetailSentences);
        var reasoning = Shuffle(random, AnswerBank.ReasoningSentences);

        var builder = new StringBuilder(openings[random.Next(openings.Count)]);
        var length = SharedTokenizer.Value.CountTokens(builder.ToString());
        var closing = random.NextDouble() < 0.5 ? AnswerBank.ClosingSentences[random.Next(AnswerBank.ClosingSentences.Count)] : null;
        var closingLength = closing is null ? 0 : SharedTokenizer.Value.CountTokens(closing) + 1;

        for (var i = 0; length + closingLength < target; i++)
        {
            // Harder prompts get more reasoning in the answer, easier ones more plain detail.
            var sentence = random.NextDouble() < difficulty
                ? reasoning[i % reasoning.Length]
                : details[i % details.Length];
            builder.Append(' ').Append(sentence);
            length += SharedTokenizer.Value.CountTokens(sentence) + 1;
        }

        if (closing is not null)
        {
            builder.Append(' ').Append(closing);
        }

        // A model out of its depth says so, as real ones do: what a judge model picks up.
        if (gap > JudgeAnswer.HedgingGap)
        {
            builder.Append(' ').Append(JudgeAnswer.Hedges[random.Next(JudgeAnswer.Hedges.Count)]);
        }

        return builder.ToString();
    }

    private static string[] Shuffle(Random random, IReadOnlyList<string> sentences)
    {
        var copy = sentences.ToArray();
        random.Shuffle(copy);
        return copy;
    }

    /// <summary>
    /// The answer as an instance of the client's JSON schema. A model out of its depth sometimes breaks it, as with
    /// JSON mode: a quality gate checking the schema has something to catch.
    /// </summary>
    private static string FollowSchema(Random random, System.Text.Json.JsonElement schema, string prompt, string answer, double gap)
    {
        var json = SchemaInstance.Create(schema, random, prompt, answer);
        var malformed = gap > 0.1 && random.NextDouble() < Math.Min(0.6, gap * 1.2);
        return malformed && json.Length > 2 ? json[..^1] : json;
    }

    /// <summary>
    /// The answer as the JSON object JSON mode asks for. A model out of its depth sometimes breaks the format,
    /// which is what a quality gate has to catch.
    /// </summary>
    private static string ToJson(Random random, string answer, double gap)
    {
        var confidence = Math.Round(Math.Clamp(0.95 - gap * 1.2 - random.NextDouble() * 0.08, 0.05, 0.99), 2);
        var json = ChatCompletionJson.AnswerObject(answer, confidence);
        var malformed = gap > 0.1 && random.NextDouble() < Math.Min(0.6, gap * 1.2);
        if (!malformed)
        {
            return json;
        }

        return random.Next(3) switch
        {
            0 => json[..^1],
            1 => json.Replace("\"confidence\":", "confidence:", StringComparison.Ordinal),
            _ => json.Replace("}", ",}", StringComparison.Ordinal),
        };
    }

    /// <summary>
    /// Confident tokens sit just below probability 1. When the prompt is harder than the model, a share of tokens
    /// growing with the gap becomes unsure, so low quantiles of token probability expose weak answers.
    /// </summary>
    private static SimulatedToken[] AssignLogprobs(Random random, string[] tokenTexts, double gap, int topLogprobs)
    {
        var unsureShare = Math.Clamp((gap - 0.05) * 1.3, 0, 0.65);
        const double hesitantShare = 0.03;
        var tokens = new SimulatedToken[tokenTexts.Length];
        for (var i = 0; i < tokens.Length; i++)
        {
            var roll = random.NextDouble();
            var logprob = roll < unsureShare ? -(1 + 3 * random.NextDouble())
                : roll < unsureShare + hesitantShare ? -(0.2 + 0.5 * random.NextDouble())
                : -(0.01 + 0.14 * random.NextDouble());
            tokens[i] = new SimulatedToken(tokenTexts[i], logprob, TopAlternatives(random, tokenTexts[i], logprob, topLogprobs));
        }

        return tokens;
    }

    private static TokenAlternative[] TopAlternatives(Random random, string token, double logprob, int count)
    {
        if (count == 0)
        {
            return [];
        }

        // The sampled token plus runners-up sharing the probability it leaves, each taking less than the one before.
        var alternatives = new List<TokenAlternative>(count) { new(token, logprob) };
        var remaining = 1 - Math.Exp(logprob);
        var start = random.Next(CommonTokens.Length);
        for (var i = 0; alternatives.Count < count && i < CommonTokens.Length; i++)
        {
            var candidate = CommonTokens[(start + i) % CommonTokens.Length];
            if (candidate == token)
            {
                continue;
            }

            var share = remaining * 0.55;
            remaining -= share;
            alternatives.Add(new TokenAlternative(candidate, Math.Max(Math.Log(share), -40)));
        }

        alternatives.Sort((left, right) => right.Logprob.CompareTo(left.Logprob));
        return alternatives.ToArray();
    }
}
