using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;

namespace CostConsole.Web.Tests.Infrastructure;

/// <summary>Sixteen clients ask an app process for answers until enough were acknowledged, then the process is killed (SIGKILL).</summary>
internal static class KillUnderLoad
{
    /// <summary>The request ids the clients saw answered before the kill; it comes at <paramref name="answered"/> or after <paramref name="wait"/>.</summary>
    public static async Task<IReadOnlyCollection<string>> RunAsync(AppProcess app, int answered, TimeSpan wait, CancellationToken ct)
    {
        var acknowledged = new ConcurrentBag<string>();
        using var http = new HttpClient { BaseAddress = app.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", CostConsoleFactory.ApiKey);
        using var load = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var clients = Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            for (var n = 0; !load.IsCancellationRequested; n++)
            {
                try
                {
                    using var response = await http.PostAsJsonAsync(
                        "/v1/chat/completions",
                        new { model = "auto", messages = new[] { new { role = "user", content = $"Where is my order {i}-{n}?" } } },
                        load.Token);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        acknowledged.Add(response.Headers.GetValues("x-costconsole-request-id").Single());
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
                {
                    // The kill cuts requests in flight: those were never acknowledged.
                }
            }
        }, ct)).ToArray();

        var deadline = DateTime.UtcNow + wait;
        while (acknowledged.Count < answered && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, ct);
        }

        app.Kill();
        await load.CancelAsync();
        await Task.WhenAll(clients);
        return acknowledged;
    }
}
