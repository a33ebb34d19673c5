using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace CostConsole.Benchmarks.Gateway;

/// <summary>
/// An OpenAI-compatible upstream inside the process: every chat completion is answered at once with the same
/// <c>chat.completion</c> (with usage), so what is measured is the gateway, not a network or a model.
/// </summary>
internal sealed class InProcessUpstream : HttpMessageHandler
{
    /// <summary>The answer to every chat completion (its choice's <c>logprobs</c> null, as an upstream sends it unasked).</summary>
    internal static readonly byte[] Completion = Encoding.UTF8.GetBytes(
        """{"id":"chatcmpl-bench","object":"chat.completion","created":1765000000,"model":"gpt-4.1-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Your order left our warehouse on Monday and should arrive within two working days. You can follow it with the tracking link in your confirmation e-mail."},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":42,"completion_tokens":31,"total_tokens":73,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}""");

    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private long _calls;

    public long Calls => Interlocked.Read(ref _calls);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        var content = new ByteArrayContent(Completion);
        content.Headers.ContentType = Json;
        return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content, RequestMessage = request });
    }
}
