namespace ImageGen.Providers.Storage;

/// <summary>Where finished images go: the storage service, content-addressed.</summary>
public interface IImageStore
{
    /// <summary>Stores the bytes read from <paramref name="content"/> and returns what storage recorded.</summary>
    Task<StoredObject> PutAsync(Stream content, string contentType, CancellationToken cancellationToken);
}

/// <summary>Storage's answer for one object. <paramref name="Deduplicated"/> is true when identical bytes were already there.</summary>
public sealed record StoredObject(string Key, string Sha256, long Size, string ContentType, bool Deduplicated);
