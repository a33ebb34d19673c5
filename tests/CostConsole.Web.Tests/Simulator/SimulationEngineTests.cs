using System.Text.Json;
using CostConsole.Routing.Tokens;
using CostConsole.Simulator;

namespace CostConsole.Web.Tests.Simulator;

public sealed class SimulationEngineTests
{
    private static readonly SimulatedModelProfile Nano = SimulatorOptions.DefaultModels.Single(model => model.Id == "gpt-4.1-nano");
    private static readonly SimulatedModelProfile Strong = SimulatorOptions.DefaultModels.Single(model => model.Id == "gpt-4.1");

    [Fact]
    public void The_same_seed_and_request_sequence_give_identical_answers_usage_and_logprobs()
    {
        string[] sequence = [Prompts.Faq, Prompts.MultiStepAnalysis, Prompts.Faq];
        var flaky = Nano with { ErrorRate = 0.3, RateLimitRate = 0.2 };

        var firstEngine = Engine(seed: 7);
        var first = sequence.Select(prompt => firstEngine.Simulate(Request(prompt, logprobs: true), flaky)).ToList();
        var secondEngine = Engine(seed: 7);
        var second = sequence.Select(prompt => secondEngine.Simulate(Request(prompt, logprobs: true), flaky)).ToList();

        Assert.Equal(Fingerprint(first), Fingerprint(second));
    }

    [Fact]
    public void A_different_seed_gives_different_answers()
    {
        var withSeed1 = Prompts.FaqQuestions.Select(prompt => Engine(seed: 1).Simulate(Request(prompt), Nano).Content);
        var withSeed2 = Prompts.FaqQuestions.Select(prompt => Engine(seed: 2).Simulate(Request(prompt), Nano).Content);

        Assert.NotEqual(string.Join("\n", withSeed1), string.Join("\n", withSeed2));
    }

    [Fact]
    public void Retrying_the_same_request_rolls_the_fault_again()
    {
        var engine = Engine();
        var flaky = Nano with { ErrorRate = 0.5 };

        var faults = Enumerable.Range(0, 30).Select(_ => engine.Simulate(Request(Prompts.Faq), flaky).Fault).ToList();

        Assert.Contains(SimulatedFault.ServerError, faults);
        Assert.Contains(SimulatedFault.None, faults);
    }

    [Fact]
    public void Faults_are_rolled_in_order_error_then_rate_limit_then_timeout()
    {
        var everything = Nano with { ErrorRate = 1, RateLimitRate = 1, TimeoutRate = 1, StreamCutRate = 1 };

        Assert.Equal(SimulatedFault.ServerError, Engine().Simulate(Request(Prompts.Faq), everything).Fault);
        Assert.Equal(SimulatedFault.RateLimit, Engine().Simulate(Request(Prompts.Faq), everything with { ErrorRate = 0 }).Fault);
        Assert.Equal(SimulatedFault.Timeout, Engine().Simulate(Request(Prompts.Faq), everything with { ErrorRate = 0, RateLimitRate = 0 }).Fault);
    }

    [Fact]
    public void A_stream_cut_only_happens_to_streams()
    {
        var cutting = Nano with { StreamCutRate = 1 };

        Assert.Equal(SimulatedFault.StreamCut, Engine().Simulate(Request(Prompts.Faq) with { Stream = true }, cutting).Fault);
        Assert.Equal(SimulatedFault.None, Engine().Simulate(Request(Prompts.Faq), cutting).Fault);
    }

    [Fact]
    public void Prompt_tokens_are_each_message_plus_three_plus_three_with_the_real_tokenizer()
    {
        RequestMessage[] messages =
        [
            new("system", "You are a helpful support assistant for Acme CRM."),
            new("user", "Hi, I was charged twice this month."),
            new("assistant", "I'm sorry about that. Could you share the invoice numbers?"),
            new("user", "INV-2041 and INV-2042, both for EUR 49.00."),
        ];
        var request = Request(Prompts.Faq) with { Messages = messages };
        var counter = O200kTokenCounter.Instance;

        var completion = Engine().Simulate(request, Nano);

        Assert.Equal(messages.Sum(message => counter.CountTokens(message.Text) + 3) + 3, completion.PromptTokens);
        Assert.Equal(counter.CountTokens(completion.Content), completion.CompletionTokens);
    }

    [Fact]
    public void Answers_are_about_the_model_answer_length()
    {
        var lengths = Prompts.FaqQuestions.Select(prompt => Engine().Simulate(Request(prompt), Strong).CompletionTokens).ToList();

        Assert.InRange(lengths.Average(), Strong.AnswerTokens * 0.75, Strong.AnswerTokens * 1.35);
        Assert.All(Prompts.FaqQuestions, prompt => Assert.Equal("stop", Engine().Simulate(Request(prompt), Strong).FinishReason));
    }

    [Fact]
    public void Max_tokens_truncates_the_answer_with_finish_reason_length()
    {
        var full = Engine().Simulate(Request(Prompts.Faq), Nano);

        var truncated = Engine().Simulate(Request(Prompts.Faq) with { MaxTokens = 5 }, Nano);

        Assert.Equal(5, truncated.CompletionTokens);
        Assert.Equal("length", truncated.FinishReason);
        Assert.StartsWith(truncated.Content, full.Content, StringComparison.Ordinal);
        Assert.True(truncated.Content.Length < full.Content.Length);
    }

    [Fact]
    public void A_hard_prompt_on_the_weak_model_has_a_clearly_lower_tenth_percentile_token_probability()
    {
        var easyOnWeak = TenthPercentileProbability(Engine().Simulate(Request(Prompts.Faq, logprobs: true), Nano));
        var hardOnWeak = TenthPercentileProbability(Engine().Simulate(Request(Prompts.MultiStepAnalysis, logprobs: true), Nano));
        var hardOnStrong = TenthPercentileProbability(Engine().Simulate(Request(Prompts.MultiStepAnalysis, logprobs: true), Strong));

        Assert.True(easyOnWeak > 0.8, $"easy prompt on the weak model: p10 = {easyOnWeak}");
        Assert.True(hardOnWeak < 0.4, $"hard prompt on the weak model: p10 = {hardOnWeak}");
        Assert.True(hardOnStrong > 0.8, $"hard prompt on the strong model: p10 = {hardOnStrong}");
    }

    [Fact]
    public void Top_logprobs_lists_the_requested_number_of_alternatives_most_likely_first()
    {
        var completion = Engine().Simulate(Request(Prompts.MultiStepAnalysis, logprobs: true) with { TopLogprobs = 3 }, Nano);

        Assert.All(completion.Tokens, token =>
        {
            Assert.Equal(3, token.TopLogprobs.Count);
            Assert.Contains(token.TopLogprobs, alternative => alternative.Token == token.Text && alternative.Logprob == token.Logprob);
            Assert.Equal(token.TopLogprobs.OrderByDescending(alternative => alternative.Logprob), token.TopLogprobs);
            Assert.True(token.TopLogprobs.Sum(alternative => Math.Exp(alternative.Logprob)) <= 1.0 + 1e-9);
        });
    }

    [Fact]
    public void Json_mode_answers_with_a_json_object_holding_the_answer_and_a_confidence()
    {
        var completion = Engine().Simulate(Request(Prompts.Faq) with { JsonResponse = true }, Strong);

        using var json = JsonDocument.Parse(completion.Content);
        Assert.False(string.IsNullOrWhiteSpace(json.RootElement.GetProperty("answer").GetString()));
        Assert.InRange(json.RootElement.GetProperty("confidence").GetDouble(), 0, 1);
    }

    [Fact]
    public void Json_mode_sometimes_breaks_when_the_prompt_is_beyond_the_model_but_never_on_the_strong_model()
    {
        var prompts = Enumerable.Range(1, 20).Select(i => $"{Prompts.MultiStepAnalysis} Account batch {i}.").ToList();

        var weakValid = prompts.Count(prompt => IsJson(Engine().Simulate(Request(prompt) with { JsonResponse = true }, Nano).Content));
        var strongValid = prompts.Count(prompt => IsJson(Engine().Simulate(Request(prompt) with { JsonResponse = true }, Strong).Content));

        Assert.InRange(weakValid, 1, prompts.Count - 1);
        Assert.Equal(prompts.Count, strongValid);
    }

    [Fact]
    public void A_long_system_prompt_seen_before_by_the_same_model_counts_as_cached()
    {
        var systemPrompt = string.Join(" ", Enumerable.Repeat("Always greet the customer by name and quote the ticket number.", 120));
        var systemTokens = O200kTokenCounter.Instance.CountTokens(systemPrompt);
        Assert.True(systemTokens >= SimulationEngine.MinCachedPromptTokens);
        var engine = Engine();
        ChatCompletionRequest Ask(string question) => Request(question) with { Messages = [new("system", systemPrompt), new("user", question)] };

        var first = engine.Simulate(Ask("What are your support hours?"), Nano);
        var second = engine.Simulate(Ask("Where is my invoice?"), Nano);
        var otherModel = engine.Simulate(Ask("Where is my invoice?"), Strong);

        Assert.Equal(0, first.CachedPromptTokens);
        Assert.Equal(systemTokens, second.CachedPromptTokens);
        Assert.Equal(0, otherModel.CachedPromptTokens);
    }

    [Fact]
    public void A_short_system_prompt_is_never_cached()
    {
        var engine = Engine();
        var request = Request(Prompts.Faq) with { Messages = [new("system", "You are helpful."), new("user", Prompts.Faq)] };

        engine.Simulate(request, Nano);

        Assert.Equal(0, engine.Simulate(request, Nano).CachedPromptTokens);
    }

    [Fact]
    public void Delays_follow_the_model_speed_slowdown_and_latency_scale()
    {
        var settings = new SimulatorSettings(new SimulatorOptions { LatencyScale = 0.5 });
        var engine = new SimulationEngine(settings, O200kTokenCounter.Instance);
        var slowed = Nano with { TimeToFirstTokenMs = 200, TokensPerSecond = 100, SlowdownFactor = 3 };

        var completion = engine.Simulate(Request(Prompts.Faq), slowed);

        Assert.Equal(TimeSpan.FromMilliseconds(300), completion.TimeToFirstToken);
        Assert.Equal(TimeSpan.FromMilliseconds(15), completion.TimePerToken);
    }

    private static SimulationEngine Engine(int seed = 42) =>
        new(new SimulatorSettings(new SimulatorOptions { Seed = seed, LatencyScale = 0 }), O200kTokenCounter.Instance);

    private static ChatCompletionRequest Request(string prompt, bool logprobs = false) => new()
    {
        Model = "any",
        Messages = [new RequestMessage("user", prompt)],
        Logprobs = logprobs,
    };

    private static string Fingerprint(IEnumerable<SimulatedCompletion> completions) =>
        string.Join("\n---\n", completions.Select(completion =>
            $"{completion.Fault}|{completion.Content}|{completion.PromptTokens}|{completion.CompletionTokens}|"
            + string.Join(",", completion.Tokens.Select(token => token.Logprob.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))));

    private static double TenthPercentileProbability(SimulatedCompletion completion)
    {
        var probabilities = completion.Tokens.Select(token => Math.Exp(token.Logprob)).Order().ToList();
        return probabilities[(int)(probabilities.Count * 0.1)];
    }

    private static bool IsJson(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
