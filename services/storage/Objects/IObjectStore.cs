namespace ImageGen.Storage.Objects;

/// <summary>
/// Content-addressed object storage. The key is derived from the bytes, so identical objects are
/// stored once and a stored object never changes. Backends: the filesystem (default); an
/// S3-compatible one plugs in here.
/// </summary>
public interface IObjectStore
{
    /// <summary>
    /// Stores the bytes of <paramref name="content"/>, consuming it chunk by chunk (never holding the
    /// whole object in memory), and makes the object visible only once it is complete.
    /// </summary>
    /// <exception cref="ObjectRejectedException">The content type is not storable, the object is empty or larger than the limit.</exception>
    Task<StoredObject> PutAsync(string contentType, IAsyncEnumerable<ReadOnlyMemory<byte>> content, CancellationToken cancellationToken);

    /// <returns>The object's description, or null when no object has this key.</returns>
    Task<StoredObject?> StatAsync(StorageKey key, CancellationToken cancellationToken);

    /// <returns>
    /// The object with a readable, seekable stream the caller disposes, or null when no object has
    /// this key. Seekable so HTTP range requests can be answered without reading from the start.
    /// </returns>
    Task<ObjectContent?> OpenReadAsync(StorageKey key, CancellationToken cancellationToken);

    /// <returns>True when an object was removed, false when none had this key.</returns>
    Task<bool> DeleteAsync(StorageKey key, CancellationToken cancellationToken);
}

/// <param name="Deduplicated">True when a put found identical bytes already stored and wrote nothing.</param>
public sealed record StoredObject(StorageKey Key, long Size, DateTimeOffset LastModified, bool Deduplicated = false)
{
    public string ContentType => Key.ContentType;
}

public sealed record ObjectContent(StoredObject Info, Stream Content) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Content.DisposeAsync();
}

public enum ObjectRejection
{
    UnsupportedContentType,
    Empty,
    TooLarge,
}

/// <summary>The caller sent an object the store refuses; <see cref="Exception.Message"/> says how to fix it.</summary>
public sealed class ObjectRejectedException(ObjectRejection reason, string message) : Exception(message)
{
    public ObjectRejection Reason { get; } = reason;
}
