using System.ClientModel;
using System.Net;
using System.Text.Json;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Web.Batches;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Files;
using static CostConsole.Web.Tests.Batches.BatchHelpers;

namespace CostConsole.Web.Tests.Batches;

/// <summary><c>GET /v1/files</c>: a key's own files, newest first, by purpose and page.</summary>
public sealed class FileListTests
{
    [Fact]
    public async Task The_official_client_lists_the_keys_files_and_filters_them_by_purpose()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new CostConsoleFactory();
        var files = new OpenAIClient(new ApiKeyCredential(CostConsoleFactory.ApiKey), new OpenAIClientOptions { Endpoint = new Uri(factory.BaseAddress, "/v1") }).GetOpenAIFileClient();
        OpenAIFile first = await files.UploadFileAsync(BinaryData.FromString(File(2)), "first.jsonl", FileUploadPurpose.Batch);
        OpenAIFile second = await files.UploadFileAsync(BinaryData.FromString(File(3)), "second.jsonl", FileUploadPurpose.Batch);
        var output = await AddFileAsync(factory, CostConsoleFactory.ApiKey, FilePurposes.BatchOutput, "batch_x_output.jsonl");
        await AddFileAsync(factory, null, FilePurposes.Batch, "made-in-the-console.jsonl");

        OpenAIFileCollection all = await files.GetFilesAsync(ct);
        OpenAIFileCollection inputs = await files.GetFilesAsync(FilePurpose.Batch, ct);
        OpenAIFileCollection outputs = await files.GetFilesAsync(FilePurpose.BatchOutput, ct);

        Assert.Equal(new[] { output, second.Id, first.Id }, all.Select(f => f.Id).ToArray());
        Assert.Equal(new[] { "second.jsonl", "first.jsonl" }, inputs.Select(f => f.Filename).ToArray());
        Assert.Equal(second.SizeInBytes, inputs[0].SizeInBytes);
        Assert.All(inputs, f => Assert.Equal(FilePurpose.Batch, f.Purpose));
        Assert.Equal(output, Assert.Single(outputs).Id);
    }

    [Fact]
    public async Task Files_come_in_pages_after_the_last_id_of_the_previous_page_and_bad_paging_is_refused()
    {
        await using var factory = new CostConsoleFactory();
        using var client = factory.CreateApiClient();
        var uploaded = new List<string>();
        for (var i = 1; i <= 5; i++)
        {
            using var response = await UploadAsync(client, File(1), filename: $"part-{i}.jsonl");
            uploaded.Add((await JsonAsync(response)).GetProperty("id").GetString()!);
        }

        var seen = new List<string>();
        string? after = null;
        var pages = 0;
        while (true)
        {
            var page = await ListAsync(client, $"limit=2{(after is null ? "" : "&after=" + after)}");
            Assert.Equal("list", page.GetProperty("object").GetString());
            var ids = page.GetProperty("data").EnumerateArray().Select(f => f.GetProperty("id").GetString()!).ToList();
            Assert.All(page.GetProperty("data").EnumerateArray(), f => Assert.Equal("file", f.GetProperty("object").GetString()));
            seen.AddRange(ids);
            pages++;
            if (!page.GetProperty("has_more").GetBoolean())
            {
                break;
            }

            after = page.GetProperty("last_id").GetString();
            Assert.Equal(ids[^1], after);
        }

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Reverse(uploaded).ToList(), seen);
        var oldest = await ListAsync(client, "order=asc&limit=1");
        Assert.Equal(uploaded[0], oldest.GetProperty("first_id").GetString());

        foreach (var (query, code) in new[] { ("limit=0", "invalid_limit"), ("limit=abc", "invalid_limit"), ("order=newest", "invalid_order"), ("purpose=fine-tune", "invalid_purpose"), ("after=file-nope", "invalid_after") })
        {
            using var refused = await client.GetAsync($"/v1/files?{query}", TestContext.Current.CancellationToken);
            var error = (await JsonAsync(refused)).GetProperty("error");
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal(code, error.GetProperty("code").GetString());
            Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        }

        using var anonymous = await factory.CreateClient().GetAsync("/v1/files", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    private static async Task<JsonElement> ListAsync(HttpClient client, string query)
    {
        using var response = await client.GetAsync($"/v1/files?{query}", TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)} {response.Headers} {response.Content.Headers}");
        return await JsonAsync(response);
    }

    /// <summary>A file as a batch writes it (for the key that sent <paramref name="key"/>), or as the console makes it (no key).</summary>
    private static async Task<string> AddFileAsync(CostConsoleFactory factory, string? key, string purpose, string filename)
    {
        var contexts = factory.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>();
        await using var db = await contexts.CreateDbContextAsync(TestContext.Current.CancellationToken);
        long? keyId = null;
        if (key is not null)
        {
            keyId = await db.BatchFiles.Where(f => f.ApiKeyId != null).Select(f => f.ApiKeyId).FirstAsync(TestContext.Current.CancellationToken);
        }

        var file = new BatchFileEntity
        {
            Id = "file-" + Guid.NewGuid().ToString("N")[..24],
            ApiKeyId = keyId,
            Purpose = purpose,
            Filename = filename,
            Bytes = 2,
            CreatedAt = DateTimeOffset.UtcNow,
            Content = "{}"u8.ToArray(),
        };
        db.BatchFiles.Add(file);
        await db.SaveChangesAsync(TestContext.Current.CancellationToken);
        return file.Id;
    }
}
