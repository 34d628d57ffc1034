using System.Security.Cryptography;
using Grpc.Core;
using ImageGen.Providers.Storage;
using ImageGen.Storage.Grpc;
using Microsoft.Extensions.DependencyInjection;

namespace ImageGen.Providers.Tests;

public class Storing_images_over_grpc(ProviderWorkerFixture fixture) : IClassFixture<ProviderWorkerFixture>
{
    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }

    private async Task<StoredObject> PutAsync(byte[] content, string contentType)
    {
        using var scope = fixture.Worker.Services.CreateScope();
        var store = scope.ServiceProvider.GetRequiredService<IImageStore>();
        using var stream = new MemoryStream(content);
        return await store.PutAsync(stream, contentType, CancellationToken.None);
    }

    [Fact]
    public async Task The_bytes_are_sent_after_the_metadata_in_64_KiB_chunks()
    {
        var content = RandomBytes((3 * ImageStore.ChunkSize) + 123);

        var stored = await PutAsync(content, "image/png");

        var sha256 = Convert.ToHexStringLower(SHA256.HashData(content));
        Assert.Equal((sha256, $"{sha256}.png", (long)content.Length, "image/png"), (stored.Sha256, stored.Key, stored.Size, stored.ContentType));
        var upload = fixture.Storage.Storage.Objects[stored.Key];
        Assert.Equal(content, upload.Content);
        Assert.Equal((4, ImageStore.ChunkSize), (upload.Chunks, upload.LargestChunk));
    }

    [Fact]
    public async Task Identical_bytes_are_reported_as_deduplicated()
    {
        var content = RandomBytes(5000);

        var first = await PutAsync(content, "image/jpeg");
        var second = await PutAsync(content, "image/jpeg");

        Assert.False(first.Deduplicated);
        Assert.True(second.Deduplicated);
        Assert.Equal(first.Key, second.Key);
    }

    [Fact]
    public async Task A_refusal_by_storage_surfaces_with_its_status()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => PutAsync(RandomBytes(100), "image/gif"));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    [Fact]
    public void The_storage_client_skips_the_resilience_handler_but_keeps_service_discovery()
    {
        var handlers = fixture.Worker.Services.GetRequiredService<IHttpMessageHandlerFactory>();

        var storageChain = Chain(handlers.CreateHandler(nameof(ObjectStorage.ObjectStorageClient)));
        var defaultChain = Chain(handlers.CreateHandler(string.Empty));

        Assert.DoesNotContain(storageChain, t => t.Name.Contains("Resilience", StringComparison.Ordinal));
        Assert.Contains(storageChain, t => t.Name.Contains("Resolving", StringComparison.Ordinal));
        // Proof the check can see the handler: every other client still gets it from the service defaults.
        Assert.Contains(defaultChain, t => t.Name.Contains("Resilience", StringComparison.Ordinal));
    }

    private static List<Type> Chain(HttpMessageHandler handler)
    {
        var types = new List<Type>();
        while (handler is DelegatingHandler delegating)
        {
            types.Add(delegating.GetType());
            handler = delegating.InnerHandler!;
        }

        return types;
    }
}
