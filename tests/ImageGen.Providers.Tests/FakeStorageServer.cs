using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using ImageGen.Storage.Grpc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ImageGen.Providers.Tests;

/// <summary>
/// A stand-in for the storage service's gRPC <c>Put</c>, served over h2c on a free loopback port:
/// content-addressed like the real one, and able to fail on demand.
/// </summary>
public sealed class FakeStorageServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeStorageServer(WebApplication app, FakeObjectStorage storage, Uri address)
    {
        _app = app;
        Storage = storage;
        Address = address;
    }

    public FakeObjectStorage Storage { get; }

    public Uri Address { get; }

    public static async Task<FakeStorageServer> StartAsync()
    {
        var storage = new FakeObjectStorage();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        // gRPC without TLS needs an HTTP/2-only endpoint.
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(storage);
        var app = builder.Build();
        app.MapGrpcService<FakeObjectStorage>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new FakeStorageServer(app, storage, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed record StoredUpload(string Key, string ContentType, byte[] Content, int Chunks, int LargestChunk);

/// <summary>
/// The server half of the storage contract, bound by hand the way the generated base class would be, so the
/// tests reuse the message types of the providers assembly instead of generating a second, clashing copy.
/// </summary>
[BindServiceMethod(typeof(ObjectStorageServerBase), nameof(BindService))]
public abstract class ObjectStorageServerBase
{
    private static readonly Method<PutRequest, ObjectInfo> PutMethod = new(
        MethodType.ClientStreaming,
        ObjectStorage.Descriptor.FullName,
        "Put",
        Marshallers.Create(r => r.ToByteArray(), PutRequest.Parser.ParseFrom),
        Marshallers.Create(r => r.ToByteArray(), ObjectInfo.Parser.ParseFrom));

    public static void BindService(ServiceBinderBase binder, ObjectStorageServerBase? service) =>
        binder.AddMethod(PutMethod, service is null ? null : service.Put);

    public virtual Task<ObjectInfo> Put(IAsyncStreamReader<PutRequest> requests, ServerCallContext context) =>
        throw new RpcException(new Status(StatusCode.Unimplemented, "Put is not implemented"));
}

/// <summary>Content-addressed like the real storage service, and able to fail on demand.</summary>
public sealed class FakeObjectStorage : ObjectStorageServerBase
{
    private static readonly Dictionary<string, string> Extensions = new()
    {
        ["image/png"] = "png",
        ["image/jpeg"] = "jpg",
        ["image/webp"] = "webp",
    };

    private int _failuresLeft;
    private int _puts;

    public ConcurrentDictionary<string, StoredUpload> Objects { get; } = new();

    /// <summary>Every Put call received, failed ones included.</summary>
    public int Puts => Volatile.Read(ref _puts);

    /// <summary>The next <paramref name="count"/> uploads fail as if storage were down.</summary>
    public void FailNext(int count) => Interlocked.Exchange(ref _failuresLeft, count);

    public override async Task<ObjectInfo> Put(IAsyncStreamReader<PutRequest> requests, ServerCallContext context)
    {
        Interlocked.Increment(ref _puts);
        if (Interlocked.Decrement(ref _failuresLeft) >= 0)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "storage is down for the test"));
        }

        if (!await requests.MoveNext() || requests.Current.PayloadCase != PutRequest.PayloadOneofCase.Metadata)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the first message must carry the metadata"));
        }

        var contentType = requests.Current.Metadata.ContentType;
        if (!Extensions.TryGetValue(contentType, out var extension))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"content type {contentType} is not accepted"));
        }

        using var content = new MemoryStream();
        var (chunks, largest) = (0, 0);
        while (await requests.MoveNext())
        {
            var chunk = requests.Current.Chunk;
            chunk.WriteTo(content);
            chunks++;
            largest = Math.Max(largest, chunk.Length);
        }

        var bytes = content.ToArray();
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var key = $"{sha256}.{extension}";
        var deduplicated = !Objects.TryAdd(key, new StoredUpload(key, contentType, bytes, chunks, largest));
        return new ObjectInfo { Key = key, Sha256 = sha256, Size = bytes.Length, ContentType = contentType, Deduplicated = deduplicated };
    }
}
