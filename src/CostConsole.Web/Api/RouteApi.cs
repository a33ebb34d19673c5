using System.Text.Json;
using CostConsole.Data.Catalogue;
using CostConsole.Routing.Affinity;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Pricing;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;
using Microsoft.Extensions.Options;

namespace CostConsole.Web.Api;

/// <summary>Routing without calling a model: what the router would decide for a request, and why.</summary>
internal static class RouteApi
{
    public static IEndpointRouteBuilder MapRouteApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/route/explain", ExplainAsync).RequireAuthorization(Access.Policies.RoutingApi);
        return app;
    }

    private static async Task<IResult> ExplainAsync(HttpContext context, RoutingState state, ITokenCounter tokens, IOptions<CostConsoleOptions> options, ConversationAffinity affinity, TimeProvider time)
    {
        if (ApiErrors.NotJson(context.Request) is { } notJson)
        {
            return Error(notJson);
        }

        var maxBytes = options.Value.MaxRequestBytes;
        if (await OpenAIApi.ReadBodyAsync(context.Request, maxBytes, context.RequestAborted) is not { } body)
        {
            return Error(ApiErrors.TooLarge(maxBytes));
        }

        ChatRequest request;
        try
        {
            request = ChatRequestParser.Parse(body, context.Request.Headers[OpenAIApi.TagsHeader], tokens);
        }
        catch (ChatRequestException ex)
        {
            return Error(ChatError.InvalidRequest(ex.Code, ex.Message, ex.Param));
        }

        using (request)
        {
            var snapshot = state.Current;
            RoutingDecision decision;
            try
            {
                request.CountPromptTokens(context.RequestAborted);
                decision = await snapshot.DecideAsync(request, context.RequestAborted);

                // With the conversation header, the explanation shows what affinity would do with the next turn (and remembers nothing).
                decision = affinity.Apply(snapshot, decision, request, OpenAIApi.ConversationId(context.Request), time.GetUtcNow());
            }
            catch (ChatRequestException ex)
            {
                return Error(ex.Code == "model_not_found" ? ChatError.ModelNotFound(ex.Message) : ChatError.InvalidRequest(ex.Code, ex.Message, ex.Param));
            }

            return Results.Json(Explanation.From(decision, request, snapshot), JsonOptions);
        }
    }

    private static IResult Error(ChatError error) => ApiErrors.Result(error);

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    private sealed record Candidate(string Model, string Provider, string Tier);

    private sealed record Explanation(
        string RequestedModel,
        DecisionSource Source,
        string Tier,
        string Model,
        string? Rule,
        int? RulePosition,
        string Reason,
        string? Classifier,
        double? ClassifierScore,
        string Mapping,
        int RuleSetVersion,
        int RulesEvaluated,
        IReadOnlyList<string> Notes,
        IReadOnlyList<Candidate> Candidates,
        long PromptTokens,
        bool PromptTokensExact,
        decimal? EstimatedPromptCostUsd,
        decimal? BaselinePromptCostUsd,
        PersonalDataTrace Pii,
        CostConsole.Routing.Learning.ShadowVerdict? Shadow,
        AffinityTrace? Affinity)
    {
        public static Explanation From(RoutingDecision decision, ChatRequest request, RoutingSnapshot snapshot)
        {
            var now = DateTimeOffset.UtcNow;
            var promptOnly = new TokenUsage(request.PromptTokens, 0, 0);
            return new Explanation(
                decision.RequestedModel,
                decision.Source,
                decision.Tier,
                decision.Model.Model.Id,
                decision.Rule,
                decision.RulePosition,
                decision.Reason,
                decision.Classifier,
                decision.ClassifierScore,
                decision.Mapping,
                decision.RuleSetVersion,
                decision.RulesEvaluated,
                request.PromptTokensExact ? decision.Notes : [.. decision.Notes, $"prompt tokens estimated: message text past {PromptTokenCount.ExactChars:N0} characters is estimated at the rate counted before it, and runs of more than {O200kTokenCounter.LongestRun} characters without whitespace are counted in pieces (at most one token high per piece)"],
                [.. decision.Candidates.Select(c => new Candidate(c.Model.Id, c.Provider.Name, c.Tier))],
                request.PromptTokens,
                request.PromptTokensExact,
                CostCalculator.Cost(snapshot.Prices, decision.Model.Key, now, promptOnly),
                snapshot.Baseline is { } baseline ? CostCalculator.Cost(snapshot.Prices, baseline.Key, now, promptOnly) : null,
                PersonalDataTrace.From(request.DetectPersonalData(snapshot.PersonalData)),
                decision.Shadow,
                decision.Warm is { } warm ? new AffinityTrace(warm.ModelKey, warm.ServedAt, decision.KeptByAffinity) : null);
        }
    }

    /// <summary>The conversation's warm model (the one that served its last turn within the window), and whether affinity kept the request on it.</summary>
    private sealed record AffinityTrace(string WarmModel, DateTimeOffset LastTurnAt, bool Decided);

    /// <summary>The personal data found: the kinds and how many of each, never the values.</summary>
    private sealed record PersonalDataTrace(bool Found, IReadOnlyDictionary<string, int> Kinds)
    {
        public static PersonalDataTrace From(CostConsole.Routing.Privacy.PersonalDataFindings findings) =>
            new(findings.Any, findings.Counts.ToDictionary(c => c.Kind, c => c.Count));
    }
}
