using System.Net.Http.Json;
using CostConsole.Web.Tests.Infrastructure;

namespace CostConsole.Web.Tests.Metrics;

/// <summary>A mixed batch of requests through /v1: every tier, a fallback, a failure and a rejection.</summary>
internal static class TrafficSender
{
    public const string Faq = "Where is my order? What is the tracking number?";
    public const string Draft = "Draft a friendly email to a customer apologising for the late delivery.";
    public const string Analysis = "Analyze last quarter's churn by customer segment and recommend a retention strategy step by step.";

    /// <summary>Sends the batch and returns the request ids, as the client saw them.</summary>
    public static async Task<List<string>> SendMixAsync(CostConsoleFactory factory, int rounds)
    {
        var ids = new List<string>();
        using var client = factory.CreateApiClient();
        using var stranger = factory.CreateApiClient("cc-not-a-key");
        for (var i = 0; i < rounds; i++)
        {
            foreach (var prompt in new[] { Faq, Draft, Analysis, Faq })
            {
                using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = prompt } } });
                ids.Add(response.Headers.GetValues("x-costconsole-request-id").Single());
            }

            using var rejected = await stranger.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = Faq } } });
            ids.Add(rejected.Headers.GetValues("x-costconsole-request-id").Single());
        }

        return ids;
    }

    /// <summary>Polls until <paramref name="done"/> holds, failing after a deadline.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> done, string what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(20));
        while (!await done())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting for {what}.");
            }

            await Task.Delay(20);
        }
    }
}
