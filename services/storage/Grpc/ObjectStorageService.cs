using System.Buffers;
using System.Runtime.CompilerServices;
using Google.Protobuf;
using Grpc.Core;
using ImageGen.Storage.Objects;

namespace ImageGen.Storage.Grpc;

/// <summary>The gRPC face of the store, used by the provider workers and the orchestrator.</summary>
public sealed class ObjectStorageService(IObjectStore store) : ObjectStorage.ObjectStorageBase
{
    private const int ChunkSize = 64 * 1024;

    public override async Task<ObjectInfo> Put(IAsyncStreamReader<PutRequest> requestStream, ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        if (!await requestStream.MoveNext(cancellationToken) || requestStream.Current.PayloadCase != PutRequest.PayloadOneofCase.Metadata)
        {
            throw InvalidArgument("The first message of Put must carry the metadata (content_type); the bytes follow as chunks.");
        }

        try
        {
            var stored = await store.PutAsync(requestStream.Current.Metadata.ContentType, ReadChunks(requestStream, cancellationToken), cancellationToken);
            return ToInfo(stored);
        }
        catch (ObjectRejectedException ex)
        {
            throw new RpcException(new Status(
                ex.Reason == ObjectRejection.TooLarge ? StatusCode.ResourceExhausted : StatusCode.InvalidArgument,
                ex.Message));
        }
    }

    public override async Task Get(GetRequest request, IServerStreamWriter<GetResponse> responseStream, ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        var key = ParseKey(request.Key);
        await using var content = await store.OpenReadAsync(key, cancellationToken) ?? throw NotFound(key);

        await responseStream.WriteAsync(new GetResponse { Info = ToInfo(content.Info) }, cancellationToken);
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            int read;
            while ((read = await content.Content.ReadAsync(buffer.AsMemory(0, ChunkSize), cancellationToken)) > 0)
            {
                await responseStream.WriteAsync(new GetResponse { Chunk = ByteString.CopyFrom(buffer, 0, read) }, cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public override async Task<ObjectInfo> Stat(StatRequest request, ServerCallContext context)
    {
        var key = ParseKey(request.Key);
        var stored = await store.StatAsync(key, context.CancellationToken) ?? throw NotFound(key);
        return ToInfo(stored);
    }

    public override async Task<DeleteResponse> Delete(DeleteRequest request, ServerCallContext context)
    {
        var key = ParseKey(request.Key);
        return new DeleteResponse { Deleted = await store.DeleteAsync(key, context.CancellationToken) };
    }

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadChunks(
        IAsyncStreamReader<PutRequest> requestStream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await requestStream.MoveNext(cancellationToken))
        {
            if (requestStream.Current.PayloadCase != PutRequest.PayloadOneofCase.Chunk)
            {
                throw InvalidArgument("Only the first message of Put may carry metadata; every later one must be a chunk.");
            }

            yield return requestStream.Current.Chunk.Memory;
        }
    }

    private static StorageKey ParseKey(string key) =>
        StorageKey.TryParse(key, out var parsed)
            ? parsed
            : throw InvalidArgument($"'{key}' is not a storage key. {StorageKey.FormatDescription}");

    private static ObjectInfo ToInfo(StoredObject stored) => new()
    {
        Key = stored.Key.Value,
        Sha256 = stored.Key.Sha256,
        Size = stored.Size,
        ContentType = stored.ContentType,
        Deduplicated = stored.Deduplicated,
    };

    private static RpcException InvalidArgument(string detail) => new(new Status(StatusCode.InvalidArgument, detail));

    private static RpcException NotFound(StorageKey key) => new(new Status(StatusCode.NotFound, $"No object is stored under '{key}'."));
}
