using Grpc.Core;
using ImageGen.Storage.Grpc;

namespace ImageGen.Storage.Tests;

public sealed class Storing_an_image(StorageApp app) : IClassFixture<StorageApp>
{
    [Fact]
    public async Task A_multi_chunk_image_comes_back_byte_for_byte_under_its_sha256()
    {
        var bytes = StorageClientExtensions.RandomBytes((3 * 1024 * 1024) + 12_345);
        var sha256 = StorageClientExtensions.Sha256Hex(bytes);

        var info = await app.GrpcClient.PutAsync("image/png", bytes, chunkSize: 100_000);

        Assert.Equal($"{sha256}.png", info.Key);
        Assert.Equal(sha256, info.Sha256);
        Assert.Equal(bytes.Length, info.Size);
        Assert.Equal("image/png", info.ContentType);
        Assert.False(info.Deduplicated);

        var (got, content, chunks) = await app.GrpcClient.GetAsync(info.Key);
        Assert.Equal(info.Key, got.Key);
        Assert.Equal(sha256, got.Sha256);
        Assert.Equal(bytes.Length, got.Size);
        Assert.Equal("image/png", got.ContentType);
        Assert.Equal(sha256, StorageClientExtensions.Sha256Hex(content));
        Assert.Equal(bytes, content);
        Assert.True(chunks.Count > 1);
        Assert.All(chunks, size => Assert.InRange(size, 1, StorageClientExtensions.Chunk));
    }

    [Fact]
    public async Task It_is_filed_under_the_first_two_hex_characters_of_its_key()
    {
        var bytes = StorageClientExtensions.RandomBytes(5000);

        var info = await app.GrpcClient.PutAsync("image/webp", bytes);

        var file = Path.Combine(app.RootPath, info.Key[..2], info.Key);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(file));
        Assert.EndsWith(".webp", info.Key, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Identical_bytes_are_stored_once()
    {
        var bytes = StorageClientExtensions.RandomBytes(200_000);

        var first = await app.GrpcClient.PutAsync("image/jpeg", bytes);
        var second = await app.GrpcClient.PutAsync("image/jpeg", bytes, chunkSize: 7_000);

        Assert.False(first.Deduplicated);
        Assert.True(second.Deduplicated);
        Assert.Equal(first.Key, second.Key);
        Assert.Equal(first.Size, second.Size);
        Assert.EndsWith(".jpg", first.Key, StringComparison.Ordinal);
        Assert.Single(app.StoredFiles(), f => Path.GetFileName(f) == first.Key);
        Assert.Empty(app.TempFiles());
    }

    [Fact]
    public async Task Concurrent_puts_of_the_same_bytes_leave_one_copy()
    {
        var bytes = StorageClientExtensions.RandomBytes(300_000);

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => app.GrpcClient.PutAsync("image/gif", bytes)));

        Assert.Single(results.Select(r => r.Key).Distinct());
        Assert.Single(results, r => !r.Deduplicated);
        Assert.Single(app.StoredFiles(), f => Path.GetFileName(f) == results[0].Key);
        Assert.Empty(app.TempFiles());
    }

    [Fact]
    public async Task Content_types_are_matched_ignoring_case_and_parameters()
    {
        var info = await app.GrpcClient.PutAsync("Image/PNG; charset=binary", StorageClientExtensions.RandomBytes(100));

        Assert.EndsWith(".png", info.Key, StringComparison.Ordinal);
        Assert.Equal("image/png", info.ContentType);
    }

    [Fact]
    public async Task An_unsupported_content_type_is_refused_with_the_supported_ones()
    {
        var filesBefore = app.StoredFiles().Count;

        var error = await Assert.ThrowsAsync<RpcException>(() => app.GrpcClient.PutAsync("image/svg+xml", StorageClientExtensions.RandomBytes(100)));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("image/svg+xml", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("image/png", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(filesBefore, app.StoredFiles().Count);
    }

    [Fact]
    public async Task Chunks_without_metadata_first_are_refused()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => app.GrpcClient.PutAsync(contentType: null, StorageClientExtensions.RandomBytes(100)));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("metadata", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_put_with_no_messages_at_all_is_refused()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => app.GrpcClient.PutAsync(contentType: null, []));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    [Fact]
    public async Task Metadata_sent_twice_is_refused_and_nothing_is_kept()
    {
        var filesBefore = app.StoredFiles().Count;
        using var call = app.GrpcClient.Put();
        var metadata = new PutRequest { Metadata = new PutMetadata { ContentType = "image/png" } };

        try
        {
            await call.RequestStream.WriteAsync(metadata);
            await call.RequestStream.WriteAsync(new PutRequest { Chunk = Google.Protobuf.ByteString.CopyFrom(StorageClientExtensions.RandomBytes(10)) });
            await call.RequestStream.WriteAsync(metadata);
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // The server may end the call before the last write.
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("first message", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(filesBefore, app.StoredFiles().Count);
        Assert.Empty(app.TempFiles());
    }

    [Fact]
    public async Task An_empty_object_is_refused()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => app.GrpcClient.PutAsync("image/png", []));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("empty", error.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(app.StoredFiles(), f => Path.GetFileName(f).StartsWith("e3b0c44298fc1c14", StringComparison.Ordinal));
        Assert.Empty(app.TempFiles());
    }
}
