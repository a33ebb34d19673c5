#pragma warning disable OPENAI001 // The SDK's batch client is marked experimental.
using System.ClientModel;
using System.Net;
using System.Text.Json;
using CostConsole.Web.Tests.Infrastructure;
using OpenAI;
using OpenAI.Batch;
using OpenAI.Files;
using static CostConsole.Web.Tests.Batches.BatchHelpers;

namespace CostConsole.Web.Tests.Batches;

public sealed class BatchApiTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    private OpenAIClient Sdk() => new(new ApiKeyCredential(CostConsoleFactory.ApiKey), new OpenAIClientOptions { Endpoint = new Uri(factory.BaseAddress, "/v1") });

    [Fact]
    public async Task The_official_client_uploads_a_file_runs_a_batch_and_downloads_every_answer_by_custom_id()
    {
        var ct = TestContext.Current.CancellationToken;
        var files = Sdk().GetOpenAIFileClient();
        var batches = Sdk().GetBatchClient();

        OpenAIFile input = await files.UploadFileAsync(BinaryData.FromString(File(5)), "requests.jsonl", FileUploadPurpose.Batch);
        Assert.Equal("requests.jsonl", input.Filename);
        Assert.Equal(FilePurpose.Batch, input.Purpose);
        Assert.True(input.SizeInBytes > 0);
        Assert.Equal(input.SizeInBytes, (await files.GetFileAsync(input.Id, ct)).Value.SizeInBytes);

        var operation = await batches.CreateBatchAsync(
            BinaryContent.Create(BinaryData.FromObjectAsJson(new { input_file_id = input.Id, endpoint = "/v1/chat/completions", completion_window = "24h", metadata = new { job = "nightly" } })),
            waitUntilCompleted: false);
        Assert.StartsWith("batch_", operation.BatchId, StringComparison.Ordinal);

        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (!operation.HasCompleted)
        {
            Assert.True(DateTime.UtcNow < deadline, "The batch did not finish in 120 s.");
            await Task.Delay(50, ct);
            await operation.UpdateStatusAsync();
        }

        using var batch = JsonDocument.Parse((await operation.GetBatchAsync(null)).GetRawResponse().Content);
        var root = batch.RootElement;
        Assert.Equal("completed", root.GetProperty("status").GetString());
        Assert.Equal("nightly", root.GetProperty("metadata").GetProperty("job").GetString());
        Assert.Equal(5, Count(root, "total"));
        Assert.Equal(5, Count(root, "completed"));
        Assert.Equal(0, Count(root, "failed"));
        Assert.Equal(JsonValueKind.Null, root.GetProperty("error_file_id").ValueKind);

        var output = (await files.DownloadFileAsync(root.GetProperty("output_file_id").GetString()!, ct)).Value.ToString();
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(Enumerable.Range(1, 5).Select(i => $"request-{i}"), lines.Select(l => l.GetProperty("custom_id").GetString()));
        foreach (var line in lines)
        {
            var response = line.GetProperty("response");
            Assert.Equal(200, response.GetProperty("status_code").GetInt32());
            Assert.False(string.IsNullOrWhiteSpace(response.GetProperty("body").GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()));
            Assert.Equal(JsonValueKind.Null, line.GetProperty("error").ValueKind);
        }

        // Each line is in the ledger once, under the batch, with the request id the output file gives.
        var ledger = (await factory.LedgerAsync()).Where(r => r.BatchId == operation.BatchId).ToList();
        Assert.Equal(lines.Select(l => l.GetProperty("response").GetProperty("request_id").GetString()).Order(), ledger.Select(r => r.RequestId).Order());

        var deleted = await files.DeleteFileAsync(input.Id, ct);
        Assert.True(deleted.Value.Deleted);
        var gone = await Assert.ThrowsAsync<ClientResultException>(() => files.GetFileAsync(input.Id, ct));
        Assert.Equal(404, gone.Status);
    }

    [Fact]
    public async Task Batches_list_newest_first_in_pages_with_has_more()
    {
        using var client = factory.CreateApiClient();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await StartAsync(client, File(1)));
        }

        using var first = await client.GetAsync("/v1/batches?limit=2", TestContext.Current.CancellationToken);
        var page = await JsonAsync(first);
        Assert.Equal("list", page.GetProperty("object").GetString());
        Assert.True(page.GetProperty("has_more").GetBoolean());
        var seen = page.GetProperty("data").EnumerateArray().Select(b => b.GetProperty("id").GetString()!).ToList();
        Assert.Equal(2, seen.Count);

        var all = new List<string>(seen);
        var after = page.GetProperty("last_id").GetString();
        while (true)
        {
            using var next = await client.GetAsync($"/v1/batches?limit=2&after={after}", TestContext.Current.CancellationToken);
            var more = await JsonAsync(next);
            all.AddRange(more.GetProperty("data").EnumerateArray().Select(b => b.GetProperty("id").GetString()!));
            if (!more.GetProperty("has_more").GetBoolean())
            {
                break;
            }

            after = more.GetProperty("last_id").GetString();
        }

        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.True(ids.All(all.Contains));
        // Newest first: the last batch made here comes before the first.
        Assert.True(all.IndexOf(ids[2]) < all.IndexOf(ids[0]));
    }

    [Fact]
    public async Task A_key_without_a_valid_bearer_gets_the_openai_401_and_another_keys_batch_is_not_found()
    {
        using var anonymous = factory.CreateApiClient(key: null);
        using var refused = await anonymous.GetAsync("/v1/batches", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("invalid_api_key", (await JsonAsync(refused)).GetProperty("error").GetProperty("code").GetString());

        using var client = factory.CreateApiClient();
        using var missing = await client.GetAsync("/v1/batches/batch_0000", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("batch_0000", (await JsonAsync(missing)).GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
