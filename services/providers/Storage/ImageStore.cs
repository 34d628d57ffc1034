using System.Buffers;
using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using ImageGen.Storage.Grpc;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Storage;

/// <summary>
/// Streams images to the storage service's <c>Put</c> call: metadata first, then 64 KiB chunks, so an
/// image of any size is sent without holding a second copy of it.
/// </summary>
public sealed class ImageStore(ObjectStorage.ObjectStorageClient client, IOptions<StorageOptions> options, TimeProvider time) : IImageStore
{
    public const int ChunkSize = 64 * 1024;

    public async Task<StoredObject> PutAsync(Stream content, string contentType, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentException.ThrowIfNullOrWhiteSpace(contentType);

        var deadline = time.GetUtcNow().UtcDateTime + options.Value.UploadTimeout;
        using var call = client.Put(deadline: deadline, cancellationToken: cancellationToken);
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long size = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            await call.RequestStream.WriteAsync(new PutRequest { Metadata = new PutMetadata { ContentType = contentType } }, cancellationToken);
            int read;
            while ((read = await content.ReadAsync(buffer.AsMemory(0, ChunkSize), cancellationToken)) > 0)
            {
                sha256.AppendData(buffer, 0, read);
                size += read;
                await call.RequestStream.WriteAsync(new PutRequest { Chunk = ByteString.CopyFrom(buffer, 0, read) }, cancellationToken);
            }

            await call.RequestStream.CompleteAsync();
        }
        catch (Exception ex) when (ex is RpcException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            // Storage refused the upload part-way and ended the call; the write only sees the
            // cancellation, while the response carries storage's own status and reason.
            await call.ResponseAsync;
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        var info = await call.ResponseAsync;
        var expected = Convert.ToHexStringLower(sha256.GetHashAndReset());
        // Storage derives the key from the digest; a mismatch means the bytes were damaged on the way.
        if (!string.Equals(info.Sha256, expected, StringComparison.OrdinalIgnoreCase) || info.Size != size)
        {
            throw new InvalidOperationException(
                $"Storage recorded {info.Size} bytes with SHA-256 {info.Sha256} for an upload of {size} bytes with SHA-256 {expected}.");
        }

        return new StoredObject(info.Key, info.Sha256, info.Size, info.ContentType, info.Deduplicated);
    }
}

public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    /// <summary>
    /// The storage service's gRPC endpoint. The default is resolved by service discovery from
    /// <c>services:storage:grpc:0</c>, which the AppHost sets.
    /// </summary>
    public Uri GrpcAddress { get; set; } = new("http://_grpc.storage");

    /// <summary>Longest one upload may take; a hung storage service must not hold a worker slot forever.</summary>
    public TimeSpan UploadTimeout { get; set; } = TimeSpan.FromMinutes(2);
}
