using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CostConsole.Web.Tests.Telemetry;

/// <summary>The app with a log provider that keeps every line of ASP.NET Core's request log with its scopes.</summary>
public sealed class LoggedFactory : CostConsoleFactory
{
    public ConcurrentQueue<LogLine> Lines { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureLogging(logging => logging
            .AddProvider(new KeepingProvider(Lines))
            .AddFilter<KeepingProvider>("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Information));
    }

    public sealed record LogLine(string Category, string Message, IReadOnlyDictionary<string, object?> Scope);

    private sealed class KeepingProvider(ConcurrentQueue<LogLine> lines) : ILoggerProvider, ISupportExternalScope
    {
        private IExternalScopeProvider? _scopes;

        public ILogger CreateLogger(string categoryName) => new KeepingLogger(this, lines, categoryName);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

        public void Dispose()
        {
        }

        private sealed class KeepingLogger(KeepingProvider provider, ConcurrentQueue<LogLine> lines, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => provider._scopes?.Push(state);

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var scope = new Dictionary<string, object?>();
                provider._scopes?.ForEachScope(
                    (value, into) =>
                    {
                        if (value is IEnumerable<KeyValuePair<string, object?>> pairs)
                        {
                            foreach (var (key, item) in pairs)
                            {
                                into[key] = item;
                            }
                        }
                    },
                    scope);
                lines.Enqueue(new LogLine(category, formatter(state, exception), scope));
            }
        }
    }
}

public sealed class LogScopeTests(LoggedFactory factory) : IClassFixture<LoggedFactory>
{
    public static TheoryData<string, string> Requests() => new()
    {
        { "/v1/chat/completions", """{"model":"auto","messages":[{"role":"user","content":"Where is my order?"}]}""" },
        { "/v1/responses", """{"model":"auto","input":"Where is my order?"}""" },
        { "/v1/messages", """{"model":"auto","max_tokens":256,"messages":[{"role":"user","content":"Where is my order?"}]}""" },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task The_request_log_of_every_api_carries_its_trace_id_and_its_request_id(string path, string body)
    {
        var trace = ActivityTraceId.CreateRandom();
        using var client = factory.CreateApiClient();
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        HttpResponseMessage response;
        using (new Activity("caller").SetParentId(trace, ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded).Start())
        {
            response = await client.PostAsync(path, new StringContent(body, System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        }

        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var id = response.Headers.GetValues("x-costconsole-request-id").Single();

            // ASP.NET Core writes "Request finished" as the response completes, just after the client has it: poll for it.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            LoggedFactory.LogLine? finished = null;
            while (finished is null && DateTime.UtcNow < deadline)
            {
                finished = factory.Lines.FirstOrDefault(l => l.Message.StartsWith("Request finished", StringComparison.Ordinal) && Equals(l.Scope.GetValueOrDefault("costconsole.request.id"), id));
                await Task.Delay(20, TestContext.Current.CancellationToken);
            }

            Assert.NotNull(finished);
            Assert.Equal(trace.ToString(), finished.Scope["TraceId"]?.ToString());
            Assert.Equal(path, finished.Scope["RequestPath"]);
        }
    }
}
