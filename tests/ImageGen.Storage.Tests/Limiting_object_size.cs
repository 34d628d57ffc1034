using Grpc.Core;

namespace ImageGen.Storage.Tests;

public sealed class SmallObjectsApp() : StorageApp(new Dictionary<string, string?> { ["Storage:MaxObjectBytes"] = "100000" });

public sealed class Limiting_object_size(SmallObjectsApp app) : IClassFixture<SmallObjectsApp>
{
    [Fact]
    public async Task An_object_of_exactly_the_limit_is_stored()
    {
        var info = await app.GrpcClient.PutAsync("image/png", StorageClientExtensions.RandomBytes(100_000), chunkSize: 30_000);

        Assert.Equal(100_000, info.Size);
        Assert.Contains(app.StoredFiles(), f => Path.GetFileName(f) == info.Key);
    }

    [Fact]
    public async Task A_larger_object_is_refused_and_leaves_nothing_behind()
    {
        var bytes = StorageClientExtensions.RandomBytes(100_001);

        var error = await Assert.ThrowsAsync<RpcException>(() => app.GrpcClient.PutAsync("image/png", bytes, chunkSize: 30_000));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("100000 bytes", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("Storage:MaxObjectBytes", error.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(app.StoredFiles(), f => Path.GetFileName(f).StartsWith(StorageClientExtensions.Sha256Hex(bytes), StringComparison.Ordinal));
        Assert.Empty(app.TempFiles());
    }
}
