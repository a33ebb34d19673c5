using System.Collections.Concurrent;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace CostConsole.Web.Tests.Privacy;

/// <summary>
/// The app with prompt storage on (redacted by default), one admin pattern (a customer number), and every log line it
/// writes, at every level down to Debug, kept for the tests to search.
/// </summary>
public sealed class PrivacyFactory : CostConsoleFactory
{
    public PrivacyFactory() : base(new()
    {
        ["CostConsole:Privacy:Patterns:0:Name"] = "customer-number",
        ["CostConsole:Privacy:Patterns:0:Pattern"] = @"\bCUST-\d{6}\b",
        ["CostConsole:Privacy:Patterns:0:Test"] = "CUST-123456",
        ["CostConsole:Privacy:Teams:quality"] = "full",
        ["CostConsole:Privacy:Teams:legal"] = "none",
    })
    {
    }

    public ConcurrentQueue<string> LogLines { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureLogging(logging => logging
            .SetMinimumLevel(LogLevel.Debug)
            .AddProvider(new KeepingProvider(LogLines))
            .AddFilter<KeepingProvider>(null, LogLevel.Debug));
    }

    private sealed class KeepingProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new KeepingLogger(lines, categoryName);

        public void Dispose()
        {
        }

        private sealed class KeepingLogger(ConcurrentQueue<string> lines, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(" ", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
                lines.Enqueue($"{category}: {formatter(state, exception)} {values} {exception}");
            }
        }
    }
}
