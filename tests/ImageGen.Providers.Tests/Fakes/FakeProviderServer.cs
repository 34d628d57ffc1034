using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ImageGen.Providers.Tests.Fakes;

/// <summary>
/// A real HTTP server (Kestrel on 127.0.0.1, a free port) that plays a provider: the test maps the
/// provider's routes with minimal APIs, and every request received is recorded for assertions.
/// </summary>
/// <remarks>
/// An adapter test points the adapter at the fake through configuration, exactly as an operator would
/// point it at a proxy, and lets result downloads reach it (a loopback address is otherwise refused):
/// <code>
/// await using var fake = await FakeProviderServer.StartAsync(app =>
///     app.MapPost("/v1/images/generations", () => Results.Json(new { data = new[] { new { url = "…" } } })));
/// settings["Providers:openai:BaseUrl"] = fake.Url("v1").ToString();
/// settings["Providers:Fetch:AllowedHosts:0"] = fake.HostAndPort;
/// …
/// var call = Assert.Single(fake.RequestsTo("/v1/images/generations"));
/// Assert.Equal("Bearer sk-test", call.Header("Authorization"));
/// </code>
/// Routes are fixed at start; a fake that must answer differently from one call to the next keeps that
/// state in its handlers (a counter, the prompt it was sent).
/// </remarks>
public sealed class FakeProviderServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();

    private FakeProviderServer(WebApplication app) => _app = app;

    /// <summary><c>http://127.0.0.1:{port}/</c></summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary><c>127.0.0.1:{port}</c>, the form <c>Providers:Fetch:AllowedHosts</c> takes.</summary>
    public string HostAndPort => $"{BaseAddress.Host}:{BaseAddress.Port}";

    public int Port => BaseAddress.Port;

    /// <summary>Every request received so far, in order of arrival.</summary>
    public IReadOnlyList<ReceivedRequest> Requests => [.. _requests];

    public static async Task<FakeProviderServer> StartAsync(Action<WebApplication> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new FakeProviderServer(app);
        app.Use(async (context, next) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            var bytes = body.ToArray();
            server._requests.Enqueue(new ReceivedRequest(
                context.Request.Method,
                context.Request.Path.Value ?? string.Empty,
                context.Request.QueryString.Value ?? string.Empty,
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                bytes));
            // Handlers read the body again.
            context.Request.Body = new MemoryStream(bytes);
            await next(context);
        });
        map(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        server.BaseAddress = new Uri(address.TrimEnd('/') + "/");
        return server;
    }

    /// <summary>An absolute URL on this server, e.g. <c>Url("files/a.png")</c>.</summary>
    public Uri Url(string relative) => new(BaseAddress, relative.TrimStart('/'));

    /// <summary>The requests received for <paramref name="path"/> (the path only, no query).</summary>
    public IReadOnlyList<ReceivedRequest> RequestsTo(string path) =>
        Requests.Where(r => string.Equals(r.Path, path, StringComparison.Ordinal)).ToList();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>One request as the fake received it.</summary>
public sealed record ReceivedRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string BodyText => Encoding.UTF8.GetString(Body);

    public string? Header(string name) => Headers.GetValueOrDefault(name);

    public JsonElement Json()
    {
        using var document = JsonDocument.Parse(Body);
        return document.RootElement.Clone();
    }
}
