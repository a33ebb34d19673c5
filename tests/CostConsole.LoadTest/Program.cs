using CostConsole.LoadTest;

// A stand-in OpenAI-compatible provider for the load script: answers every chat completion at once with a
// fixed, realistic body (or a short SSE stream), so what is measured through CostConsole is CostConsole.
// Usage: dotnet CostConsole.LoadTest.dll --port 5601   (listens on 127.0.0.1 only)
// "soak" instead drives mixed traffic at a running CostConsole (see Soak.cs and tests/load/soak.sh).
if (args is ["soak", ..])
{
    return await Soak.RunAsync(args[1..]);
}

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var port = builder.Configuration.GetValue("port", 5601);
builder.WebHost.UseUrls($"http://127.0.0.1:{port}");

var app = builder.Build();
app.MapGet("/health", () => "ok");
app.MapPost("/v1/chat/completions", async (HttpContext context) =>
{
    var (stream, includeUsage) = await FakeCompletion.ReadFlagsAsync(context.Request);
    var response = context.Response;
    if (!stream)
    {
        response.ContentType = "application/json";
        response.ContentLength = FakeCompletion.Completion.Length;
        await response.Body.WriteAsync(FakeCompletion.Completion);
        return;
    }

    response.ContentType = "text/event-stream";
    response.Headers.CacheControl = "no-cache";
    foreach (var chunk in FakeCompletion.Chunks)
    {
        await response.Body.WriteAsync(chunk);
        await response.Body.FlushAsync();
    }

    if (includeUsage)
    {
        await response.Body.WriteAsync(FakeCompletion.UsageChunk);
    }

    await response.Body.WriteAsync(FakeCompletion.Done);
});

app.Run();
return 0;
