using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace ImageGen.Storage.Objects;

/// <summary>
/// Stores objects as files: <c>&lt;root&gt;/&lt;first two hex chars&gt;/&lt;key&gt;</c>. The two-character
/// fan-out keeps directories small. A put streams into a temporary file under the root and is then
/// renamed into place, so readers never see a partial object and a crash leaves no half-written key.
/// </summary>
public sealed partial class FileSystemObjectStore : IObjectStore
{
    private const string TempDirectoryName = ".tmp";
    private const string TempFileSuffix = ".part";
    private const int ReadBufferSize = 64 * 1024;

    // A put running longer than this is not running any more: its file was left by a crash.
    private static readonly TimeSpan StaleTempFileAge = TimeSpan.FromHours(1);

    private readonly long _maxObjectBytes;
    private readonly ILogger<FileSystemObjectStore> _logger;

    public FileSystemObjectStore(IOptions<StorageOptions> options, IHostEnvironment environment, ILogger<FileSystemObjectStore> logger)
    {
        _logger = logger;
        _maxObjectBytes = options.Value.MaxObjectBytes;
        RootPath = Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.Value.RootPath, environment.ContentRootPath));
        TempPath = Path.Combine(RootPath, TempDirectoryName);
        try
        {
            Directory.CreateDirectory(RootPath);
            Directory.CreateDirectory(TempPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException(
                $"The storage root '{RootPath}' (Storage:RootPath) cannot be created: {ex.Message} Point Storage:RootPath at a writable directory.", ex);
        }

        RemoveStaleTempFiles();
    }

    /// <summary>Absolute path of the store's root directory.</summary>
    public string RootPath { get; }

    /// <summary>Where puts write before the rename; inside the root so the rename never crosses filesystems.</summary>
    public string TempPath { get; }

    /// <summary>
    /// The file of <paramref name="key"/>. Valid keys cannot escape the root; the check below keeps
    /// that true even if the key grammar is ever loosened by mistake.
    /// </summary>
    public string PathOf(StorageKey key)
    {
        var value = key.Value;
        var path = Path.GetFullPath(Path.Combine(RootPath, value[..2], value));
        if (!path.StartsWith(RootPath + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Storage key '{value}' resolves outside the storage root.");
        }

        return path;
    }

    public async Task<StoredObject> PutAsync(string contentType, IAsyncEnumerable<ReadOnlyMemory<byte>> content, CancellationToken cancellationToken)
    {
        if (!ImageContentTypes.TryGetExtension(contentType, out var extension))
        {
            throw new ObjectRejectedException(
                ObjectRejection.UnsupportedContentType,
                $"Content type '{contentType}' cannot be stored. Supported: {string.Join(", ", ImageContentTypes.ContentTypes)}.");
        }

        Directory.CreateDirectory(TempPath);
        var tempFile = Path.Combine(TempPath, Guid.NewGuid().ToString("N") + TempFileSuffix);
        try
        {
            long size = 0;
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var file = new FileStream(tempFile, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                Options = FileOptions.Asynchronous,
            }))
            {
                await foreach (var chunk in content.WithCancellation(cancellationToken))
                {
                    size += chunk.Length;
                    if (size > _maxObjectBytes)
                    {
                        throw new ObjectRejectedException(
                            ObjectRejection.TooLarge,
                            $"The object is larger than the limit of {_maxObjectBytes} bytes (Storage:MaxObjectBytes).");
                    }

                    hash.AppendData(chunk.Span);
                    await file.WriteAsync(chunk, cancellationToken);
                }

                if (size == 0)
                {
                    throw new ObjectRejectedException(ObjectRejection.Empty, "The object is empty: send its bytes as chunks after the metadata.");
                }

                // The rename below publishes the object; its bytes must be on disk before its name is.
                await file.FlushAsync(cancellationToken);
                file.Flush(flushToDisk: true);
            }

            var key = StorageKey.FromHash(hash.GetHashAndReset(), extension);
            var path = PathOf(key);
            var deduplicated = !TryPublish(tempFile, path);
            var stored = new StoredObject(key, size, File.GetLastWriteTimeUtc(path), deduplicated);
            LogStored(key.Value, size, deduplicated);
            return stored;
        }
        finally
        {
            TryDeleteTempFile(tempFile);
        }
    }

    public Task<StoredObject?> StatAsync(StorageKey key, CancellationToken cancellationToken)
    {
        var file = new FileInfo(PathOf(key));
        return Task.FromResult(file.Exists ? new StoredObject(key, file.Length, file.LastWriteTimeUtc) : null);
    }

    public Task<ObjectContent?> OpenReadAsync(StorageKey key, CancellationToken cancellationToken)
    {
        FileStream stream;
        try
        {
            // FileShare.Delete: a delete while someone downloads must not fail either side.
            stream = new FileStream(PathOf(key), new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.Read | FileShare.Delete,
                Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
                BufferSize = ReadBufferSize,
            });
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<ObjectContent?>(null);
        }

        var info = new StoredObject(key, stream.Length, File.GetLastWriteTimeUtc(stream.SafeFileHandle));
        return Task.FromResult<ObjectContent?>(new ObjectContent(info, stream));
    }

    public Task<bool> DeleteAsync(StorageKey key, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        if (!File.Exists(path))
        {
            return Task.FromResult(false);
        }

        File.Delete(path);
        LogDeleted(key.Value);
        return Task.FromResult(true);
    }

    /// <summary>Writes and removes a probe file, proving the root can take new objects.</summary>
    public async Task ProbeWritableAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(TempPath);
        var probe = Path.Combine(TempPath, "health-" + Guid.NewGuid().ToString("N") + TempFileSuffix);
        try
        {
            await File.WriteAllBytesAsync(probe, [0], cancellationToken);
        }
        finally
        {
            TryDeleteTempFile(probe);
        }
    }

    /// <returns>False when identical bytes were already stored under the key.</returns>
    private static bool TryPublish(string tempFile, string path)
    {
        if (File.Exists(path))
        {
            return false;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        try
        {
            // No overwrite: a concurrent put of the same bytes may have won the race, and then its
            // copy (identical by construction) stays.
            File.Move(tempFile, path, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
    }

    private void TryDeleteTempFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogTempFileLeft(path, ex);
        }
    }

    private void RemoveStaleTempFiles()
    {
        var cutoff = DateTime.UtcNow - StaleTempFileAge;
        foreach (var file in new DirectoryInfo(TempPath).EnumerateFiles("*" + TempFileSuffix))
        {
            if (file.LastWriteTimeUtc < cutoff)
            {
                TryDeleteTempFile(file.FullName);
            }
        }
    }

    [LoggerMessage(LogLevel.Information, "Stored object {Key} ({Size} bytes, deduplicated: {Deduplicated})")]
    private partial void LogStored(string key, long size, bool deduplicated);

    [LoggerMessage(LogLevel.Information, "Deleted object {Key}")]
    private partial void LogDeleted(string key);

    [LoggerMessage(LogLevel.Warning, "Could not remove temporary file {Path}; it is removed at the next start once stale")]
    private partial void LogTempFileLeft(string path, Exception exception);
}
