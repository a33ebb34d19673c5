using System.Net;
using CostConsole.Web.Tests.Infrastructure;
using static CostConsole.Web.Tests.Batches.BatchHelpers;

namespace CostConsole.Web.Tests.Batches;

/// <summary>A console whose batch files may be 4 KB at most, so a file over the limit is easy to make.</summary>
public sealed class SmallFileFactory() : CostConsoleFactory(new() { ["CostConsole:Batches:MaxFileBytes"] = "4096" });

public sealed class BatchFileValidationTests(SmallFileFactory factory) : IClassFixture<SmallFileFactory>
{
    private static readonly string Good = Line("a", "Where is my parcel?");

    public static TheoryData<string, string, string, string[]> MalformedFiles() => new()
    {
        { "invalid JSON", Good + "\n{\"custom_id\": \"b\", \"method\": \"POST\",\n", "invalid_batch_file", ["line 2", "not valid JSON"] },
        { "a line for another endpoint", Good.Replace("/v1/chat/completions", "/v1/embeddings"), "invalid_batch_file", ["line 1", "'/v1/embeddings'"] },
        { "a duplicate custom_id", Good + "\n" + Line("b", "Hello") + "\n" + Line("a", "Again"), "invalid_batch_file", ["line 3", "custom_id 'a' is already used on line 1"] },
        { "a line without custom_id", Good.Replace("\"custom_id\":\"a\",", ""), "invalid_batch_file", ["line 1", "'custom_id' is missing"] },
        { "a streamed request", Good.Replace("\"model\":\"auto\"", "\"model\":\"auto\",\"stream\":true"), "invalid_batch_file", ["line 1", "'stream' is true"] },
        { "an unknown model", Line("a", "Hi", model: "gpt-9-ultra"), "invalid_batch_file", ["line 1", "model 'gpt-9-ultra'"] },
        { "a request without messages", Good.Replace("\"messages\"", "\"prompt\""), "invalid_batch_file", ["line 1", "'messages' is required"] },
        { "an empty file", "\n\n", "invalid_batch_file", ["no requests"] },
        { "a file over the size limit", string.Join('\n', Enumerable.Repeat(Good, 60)), "file_too_large", ["4,096 bytes"] },
    };

    [Theory]
    [MemberData(nameof(MalformedFiles))]
    public async Task A_malformed_batch_file_is_refused_with_the_line_and_reason_and_nothing_is_stored(string what, string content, string code, string[] said)
    {
        using var client = factory.CreateApiClient();
        var before = await StoredFilesAsync(factory);

        using var response = await UploadAsync(client, content);

        var error = (await JsonAsync(response)).GetProperty("error");
        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge, $"{what}: {(int)response.StatusCode}");
        Assert.Equal(code, error.GetProperty("code").GetString());
        foreach (var text in said)
        {
            Assert.Contains(text, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(before, await StoredFilesAsync(factory));
    }

    [Fact]
    public async Task A_file_uploaded_for_another_purpose_is_refused()
    {
        using var client = factory.CreateApiClient();
        var before = await StoredFilesAsync(factory);

        using var response = await UploadAsync(client, Good, purpose: "fine-tune");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await JsonAsync(response)).GetProperty("error");
        Assert.Equal("invalid_purpose", error.GetProperty("code").GetString());
        Assert.Contains("purpose=batch", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await StoredFilesAsync(factory));
    }

    [Theory]
    [InlineData("file-000000000000000000000000", "/v1/chat/completions", "24h", 404, "file_not_found")]
    [InlineData(null, "/v1/embeddings", "24h", 400, "invalid_endpoint")]
    [InlineData(null, "/v1/chat/completions", "1h", 400, "invalid_completion_window")]
    public async Task A_batch_that_cannot_start_is_refused_and_none_is_created(string? fileId, string endpoint, string window, int status, string code)
    {
        using var client = factory.CreateApiClient();
        if (fileId is null)
        {
            // A real file, so the refusal is about the endpoint or the window alone.
            using var uploaded = await UploadAsync(client, Good);
            fileId = (await JsonAsync(uploaded)).GetProperty("id").GetString();
        }

        using var response = await client.PostAsync("/v1/batches", JsonContent(new { input_file_id = fileId, endpoint, completion_window = window }), TestContext.Current.CancellationToken);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(code, (await JsonAsync(response)).GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(0, await StoredBatchesAsync(factory));
    }
}
