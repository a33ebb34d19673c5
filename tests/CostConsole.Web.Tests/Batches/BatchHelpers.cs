using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Batches;

/// <summary>Builds batch files and follows batches over plain HTTP, as a client without the SDK would.</summary>
internal static class BatchHelpers
{
    public static string Line(string customId, string content, string model = "auto", int? maxTokens = null) =>
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["custom_id"] = customId,
            ["method"] = "POST",
            ["url"] = "/v1/chat/completions",
            ["body"] = maxTokens is { } max
                ? new { model, max_tokens = max, messages = new[] { new { role = "user", content } } }
                : new { model, messages = new[] { new { role = "user", content } } },
        });

    public static string File(int lines, string model = "auto", int? maxTokens = null) =>
        string.Join('\n', Enumerable.Range(1, lines).Select(i => Line($"request-{i}", $"Where is my order number {i}? It has not arrived.", model, maxTokens))) + "\n";

    public static async Task<HttpResponseMessage> UploadAsync(HttpClient client, string content, string purpose = "batch", string filename = "requests.jsonl")
    {
        using var form = new MultipartFormDataContent();
        form.Add(new StringContent(purpose), "purpose");
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes(content));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/jsonl");
        form.Add(file, "file", filename);
        return await client.PostAsync("/v1/files", form, TestContext.Current.CancellationToken);
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Uploads the file and starts a batch on it; returns the batch id.</summary>
    public static async Task<string> StartAsync(HttpClient client, string content)
    {
        using var uploaded = await UploadAsync(client, content);
        var file = await JsonAsync(uploaded);
        Assert.True(uploaded.IsSuccessStatusCode, file.ToString());
        using var created = await client.PostAsync("/v1/batches", JsonContent(new { input_file_id = file.GetProperty("id").GetString(), endpoint = "/v1/chat/completions", completion_window = "24h" }), TestContext.Current.CancellationToken);
        var batch = await JsonAsync(created);
        Assert.True(created.IsSuccessStatusCode, batch.ToString());
        return batch.GetProperty("id").GetString()!;
    }

    public static StringContent JsonContent(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    public static async Task<JsonElement> GetAsync(HttpClient client, string batchId)
    {
        using var response = await client.GetAsync($"/v1/batches/{batchId}", TestContext.Current.CancellationToken);
        return await JsonAsync(response);
    }

    /// <summary>Polls the batch until <paramref name="done"/> holds, or fails after a deadline generous for a busy machine.</summary>
    public static async Task<JsonElement> WaitAsync(HttpClient client, string batchId, Func<JsonElement, bool> done, int seconds = 120)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var batch = await GetAsync(client, batchId);
            if (done(batch))
            {
                return batch;
            }

            Assert.True(DateTime.UtcNow < deadline, $"The batch did not get there in {seconds} s: {batch}");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    public static bool Finished(JsonElement batch) => batch.GetProperty("status").GetString() is "completed" or "failed" or "expired" or "cancelled";

    public static int Count(JsonElement batch, string name) => batch.GetProperty("request_counts").GetProperty(name).GetInt32();

    public static async Task<List<JsonElement>> DownloadLinesAsync(HttpClient client, string fileId)
    {
        var text = await client.GetStringAsync($"/v1/files/{fileId}/content", TestContext.Current.CancellationToken);
        return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
    }

    public static async Task<int> CountAsync<T>(CostConsoleFactory factory, Func<CostConsoleDbContext, IQueryable<T>> query)
    {
        var contexts = factory.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>();
        await using var db = await contexts.CreateDbContextAsync();
        return await query(db).CountAsync();
    }

    public static Task<int> StoredFilesAsync(CostConsoleFactory factory) => CountAsync(factory, db => db.BatchFiles);

    public static Task<int> StoredBatchesAsync(CostConsoleFactory factory) => CountAsync(factory, db => db.Set<BatchEntity>());
}
