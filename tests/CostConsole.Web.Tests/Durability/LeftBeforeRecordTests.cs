using System.Text;
using CostConsole.Routing.Pipeline;
using CostConsole.Web.Api;

namespace CostConsole.Web.Tests.Durability;

public sealed class LeftBeforeRecordTests(LeavingClientFactory factory) : IClassFixture<LeavingClientFactory>
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_client_that_leaves_once_the_provider_has_answered_still_leaves_the_answered_row_with_its_cost(bool stream)
    {
        var conversation = "leaves-before-the-row-" + (stream ? "streamed" : "whole");
        var watched = factory.Watch(conversation, Leaving.BeforeRow);
        using var client = factory.CreateApiClient();
        client.DefaultRequestHeaders.Add(OpenAIApi.ConversationHeader, conversation);
        var body = $$"""{"model":"simulator/gpt-4.1-nano","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"Where is parcel {{Guid.NewGuid():N}}?"}]}""";
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        try
        {
            using var response = await client.PostAsync("/v1/chat/completions", content, TestContext.Current.CancellationToken);
        }
        catch (HttpRequestException)
        {
            // The app treats this client as gone; what it reads does not matter here.
        }

        await watched.Finished.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        // The one row of the request is the answer the provider charged for, with its cost — not a lost row, and not a
        // "client closed" row that drops what was spent.
        var recorded = Assert.Single(watched.Recorded);
        Assert.Equal((LedgerStatus.Answered, 200), (recorded.Status, recorded.HttpStatus));
        var row = Assert.Single(await factory.LedgerAsync(), r => r.RequestId == recorded.RequestId);
        Assert.Equal(200, row.HttpStatus);
        Assert.True(row.CostNanoUsd > 0, $"The answered row carries its cost; it had {row.CostNanoUsd} nano-USD.");
    }
}
