using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;

namespace ImageGen.Providers.Tests.Fakes;

/// <summary>Keeps every log line written through it, with its exception and scopes, so tests can search them.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<LogLine> _lines = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public IReadOnlyList<LogLine> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var scopes = new StringBuilder();
            owner._scopes.ForEachScope((scope, text) => text.Append(scope is IEnumerable<KeyValuePair<string, object>> pairs
                ? string.Join(", ", pairs.Select(p => $"{p.Key}={p.Value}"))
                : scope?.ToString()).Append(" | "), scopes);
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs2 ? string.Join(", ", pairs2.Select(p => $"{p.Key}={p.Value}")) : string.Empty;
            owner._lines.Enqueue(new LogLine(category, logLevel, formatter(state, exception), exception?.ToString(), $"{values} | {scopes}"));
        }
    }
}

/// <summary>One log line: <see cref="Everything"/> is all of its text, for "appears nowhere" checks.</summary>
public sealed record LogLine(string Category, LogLevel Level, string Message, string? Exception, string Context)
{
    public string Everything => $"{Category} {Level} {Message} {Exception} {Context}";
}
