using Grpc.Core;
using ImageGen.Storage.Grpc;

namespace ImageGen.Storage.Tests;

public sealed class Reading_and_deleting_objects(StorageApp app) : IClassFixture<StorageApp>
{
    private const string UnknownKey = "0000000000000000000000000000000000000000000000000000000000000000.png";

    [Fact]
    public async Task Stat_describes_a_stored_object()
    {
        var bytes = StorageClientExtensions.RandomBytes(4321);
        var put = await app.GrpcClient.PutAsync("image/gif", bytes);

        var info = await app.GrpcClient.StatAsync(new StatRequest { Key = put.Key });

        Assert.Equal(put.Key, info.Key);
        Assert.Equal(StorageClientExtensions.Sha256Hex(bytes), info.Sha256);
        Assert.Equal(4321, info.Size);
        Assert.Equal("image/gif", info.ContentType);
        Assert.False(info.Deduplicated);
    }

    [Fact]
    public async Task An_unknown_key_is_not_found()
    {
        var stat = await Assert.ThrowsAsync<RpcException>(async () => await app.GrpcClient.StatAsync(new StatRequest { Key = UnknownKey }));
        var get = await Assert.ThrowsAsync<RpcException>(() => app.GrpcClient.GetAsync(UnknownKey));

        Assert.Equal(StatusCode.NotFound, stat.StatusCode);
        Assert.Equal(StatusCode.NotFound, get.StatusCode);
        Assert.Contains(UnknownKey, get.Status.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("../../etc/passwd")]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000.exe")]
    public async Task A_malformed_key_is_an_invalid_argument_everywhere(string key)
    {
        var get = await Assert.ThrowsAsync<RpcException>(() => app.GrpcClient.GetAsync(key));
        var stat = await Assert.ThrowsAsync<RpcException>(async () => await app.GrpcClient.StatAsync(new StatRequest { Key = key }));
        var delete = await Assert.ThrowsAsync<RpcException>(async () => await app.GrpcClient.DeleteAsync(new DeleteRequest { Key = key }));

        Assert.All([get, stat, delete], e => Assert.Equal(StatusCode.InvalidArgument, e.StatusCode));
        Assert.Contains("not a storage key", get.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_deleted_object_is_gone()
    {
        var put = await app.GrpcClient.PutAsync("image/png", StorageClientExtensions.RandomBytes(1000));

        var deleted = await app.GrpcClient.DeleteAsync(new DeleteRequest { Key = put.Key });

        Assert.True(deleted.Deleted);
        Assert.DoesNotContain(app.StoredFiles(), f => Path.GetFileName(f) == put.Key);
        var stat = await Assert.ThrowsAsync<RpcException>(async () => await app.GrpcClient.StatAsync(new StatRequest { Key = put.Key }));
        Assert.Equal(StatusCode.NotFound, stat.StatusCode);
    }

    [Fact]
    public async Task Deleting_an_unknown_key_reports_nothing_deleted()
    {
        var deleted = await app.GrpcClient.DeleteAsync(new DeleteRequest { Key = UnknownKey });

        Assert.False(deleted.Deleted);
    }

    [Fact]
    public async Task An_object_deleted_and_put_again_is_stored_anew()
    {
        var bytes = StorageClientExtensions.RandomBytes(2000);
        var first = await app.GrpcClient.PutAsync("image/png", bytes);
        await app.GrpcClient.DeleteAsync(new DeleteRequest { Key = first.Key });

        var again = await app.GrpcClient.PutAsync("image/png", bytes);

        Assert.False(again.Deduplicated);
        Assert.Equal(bytes, (await app.GrpcClient.GetAsync(again.Key)).Bytes);
    }
}
