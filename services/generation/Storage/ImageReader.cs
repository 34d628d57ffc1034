using Grpc.Core;
using ImageGen.Storage.Grpc;

namespace ImageGen.Generation.Storage;

/// <summary>Reads stored images back through the storage service (for b64_json answers).</summary>
public sealed class ImageReader(ObjectStorage.ObjectStorageClient client)
{
    public async Task<byte[]> ReadAsync(string key, CancellationToken cancellationToken)
    {
        using var call = client.Get(new GetRequest { Key = key }, cancellationToken: cancellationToken);
        using var buffer = new MemoryStream();
        await foreach (var message in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
            if (message.PayloadCase == GetResponse.PayloadOneofCase.Info)
            {
                buffer.Capacity = (int)Math.Min(message.Info.Size, int.MaxValue);
            }
            else if (message.PayloadCase == GetResponse.PayloadOneofCase.Chunk)
            {
                message.Chunk.WriteTo(buffer);
            }
        }

        return buffer.ToArray();
    }
}
