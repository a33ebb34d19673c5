using System.Text;
using CostConsole.Routing.Pipeline;
using CostConsole.Web.Api;

namespace CostConsole.Web.Tests.Durability;

public sealed class StreamLeftAfterRecordTests(LeavingClientFactory factory) : IClassFixture<LeavingClientFactory>
{
    [Fact]
    public async Task A_client_that_leaves_once_its_streamed_answer_is_recorded_leaves_that_one_answer_row()
    {
        const string conversation = "leaves-after-the-row";
        var watched = factory.Watch(conversation, Leaving.AfterAnsweredRow);
        using var client = factory.CreateApiClient();
        client.DefaultRequestHeaders.Add(OpenAIApi.ConversationHeader, conversation);
        using var content = new StringContent($$"""{"model":"simulator/gpt-4.1-nano","stream":true,"messages":[{"role":"user","content":"Where is parcel {{Guid.NewGuid():N}}?"}]}""", Encoding.UTF8, "application/json");
        try
        {
            using var response = await client.PostAsync("/v1/chat/completions", content, TestContext.Current.CancellationToken);
        }
        catch (HttpRequestException)
        {
            // The app treats this client as gone, so whatever it reads of the stream's end does not matter here.
        }

        await watched.AtLedger.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        await watched.Finished.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        // One row per request, the answer the client paid for; not a second "client closed" row for the same request id.
        var recorded = Assert.Single(watched.Recorded);
        Assert.Equal((LedgerStatus.Answered, 200), (recorded.Status, recorded.HttpStatus));
        var row = Assert.Single(await factory.LedgerAsync(), r => r.RequestId == recorded.RequestId);
        Assert.Equal(200, row.HttpStatus);
    }
}
