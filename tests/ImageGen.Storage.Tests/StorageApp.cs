using System.Net;
using System.Net.Sockets;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using ImageGen.Storage.Grpc;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace ImageGen.Storage.Tests;

/// <summary>The storage service in memory, storing under a temporary directory of its own that is removed afterwards.</summary>
public class StorageApp : WebApplicationFactory<Program>
{
    private readonly IReadOnlyDictionary<string, string?> _settings;
    private GrpcChannel? _channel;

    public StorageApp()
        : this(new Dictionary<string, string?>())
    {
    }

    // Internal: xunit requires a class fixture to have exactly one public constructor.
    internal StorageApp(IReadOnlyDictionary<string, string?> settings)
    {
        _settings = settings;
        RootPath = Path.Combine(Path.GetTempPath(), "imagegen-storage-tests", Guid.NewGuid().ToString("N"));
    }

    public string RootPath { get; }

    public ObjectStorage.ObjectStorageClient GrpcClient
    {
        get
        {
            _channel ??= GrpcChannel.ForAddress(Server.BaseAddress, new GrpcChannelOptions { HttpHandler = Server.CreateHandler() });
            return new ObjectStorage.ObjectStorageClient(_channel);
        }
    }

    /// <summary>Every stored object file (temporary files excluded).</summary>
    public IReadOnlyList<string> StoredFiles() =>
        Directory.Exists(RootPath)
            ? [.. Directory.EnumerateFiles(RootPath, "*", SearchOption.AllDirectories).Where(f => !f.Contains("/.tmp/", StringComparison.Ordinal))]
            : [];

    public IReadOnlyList<string> TempFiles() =>
        Directory.Exists(Path.Combine(RootPath, ".tmp")) ? Directory.GetFiles(Path.Combine(RootPath, ".tmp")) : [];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Storage:RootPath", RootPath);
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
    }

    protected override void Dispose(bool disposing)
    {
        _channel?.Dispose();
        base.Dispose(disposing);
        if (disposing && Directory.Exists(RootPath))
        {
            Directory.Delete(RootPath, recursive: true);
        }
    }

    public static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

public static class StorageClientExtensions
{
    public static readonly int Chunk = 64 * 1024;

    /// <summary>Streams <paramref name="bytes"/> as a put; a null content type sends no metadata message.</summary>
    public static async Task<ObjectInfo> PutAsync(this ObjectStorage.ObjectStorageClient client, string? contentType, byte[] bytes, int chunkSize = 64 * 1024)
    {
        using var call = client.Put();
        try
        {
            if (contentType is not null)
            {
                await call.RequestStream.WriteAsync(new PutRequest { Metadata = new PutMetadata { ContentType = contentType } });
            }

            for (var offset = 0; offset < bytes.Length; offset += chunkSize)
            {
                await call.RequestStream.WriteAsync(new PutRequest { Chunk = ByteString.CopyFrom(bytes, offset, Math.Min(chunkSize, bytes.Length - offset)) });
            }

            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // The server ended the call before taking every chunk; its status is the call's outcome.
        }

        return await call.ResponseAsync;
    }

    public static async Task<(ObjectInfo Info, byte[] Bytes, IReadOnlyList<int> ChunkSizes)> GetAsync(this ObjectStorage.ObjectStorageClient client, string key)
    {
        using var call = client.Get(new GetRequest { Key = key });
        ObjectInfo? info = null;
        var chunkSizes = new List<int>();
        using var bytes = new MemoryStream();
        await foreach (var message in call.ResponseStream.ReadAllAsync())
        {
            if (message.PayloadCase == GetResponse.PayloadOneofCase.Info)
            {
                Assert.Null(info);
                Assert.Equal(0, bytes.Length);
                info = message.Info;
            }
            else
            {
                chunkSizes.Add(message.Chunk.Length);
                message.Chunk.WriteTo(bytes);
            }
        }

        Assert.NotNull(info);
        return (info, bytes.ToArray(), chunkSizes);
    }

    public static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    public static string Sha256Hex(byte[] bytes) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
}
