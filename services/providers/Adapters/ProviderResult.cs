using ImageGen.Contracts;

namespace ImageGen.Providers.Adapters;

/// <summary>The images of one successful call. <paramref name="Model"/> is the model that actually produced them.</summary>
/// <param name="CostUsd">What the provider says the call cost, when it says; otherwise the job's estimate is reported.</param>
public sealed record ProviderResult(string Model, IReadOnlyList<ProviderImage> Images, decimal? CostUsd = null)
{
    /// <summary>What the caller should know about the result without it being a failure (fewer images than asked, some filtered, …); shown on the job.</summary>
    public IReadOnlyList<string> Warnings
    {
        get;
        init => field = value ?? [];
    } = [];
}

/// <summary>
/// One image of a result. The bytes are opened on demand so an adapter can hand back an image that is
/// still to be downloaded (or, for the built-in renderer, still to be drawn) and the consumer can
/// stream it to storage without holding every image of the result in memory at once.
/// </summary>
public sealed class ProviderImage
{
    private readonly Func<CancellationToken, ValueTask<Stream>> _open;

    private ProviderImage(string contentType, int width, int height, Func<CancellationToken, ValueTask<Stream>> open, ImageAttribution? attribution = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(contentType);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ContentType = contentType;
        Width = width;
        Height = height;
        _open = open;
        Attribution = attribution;
    }

    /// <summary>MIME type of the encoded bytes, e.g. <c>image/png</c>.</summary>
    public string ContentType { get; }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Credit the source requires to be shown with the image (stock photos); null for generated images.</summary>
    public ImageAttribution? Attribution { get; }

    /// <summary>An image whose encoded bytes are already in memory.</summary>
    public static ProviderImage FromBytes(ReadOnlyMemory<byte> content, string contentType, int width, int height) =>
        new(contentType, width, height, _ => ValueTask.FromResult<Stream>(new ReadOnlyMemoryStream(content)));

    /// <summary>An image whose bytes are produced when read: <paramref name="open"/> is called once per read and the caller disposes the stream.</summary>
    public static ProviderImage FromStream(Func<CancellationToken, ValueTask<Stream>> open, string contentType, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(open);
        return new(contentType, width, height, open);
    }

    /// <summary>The same image, carrying the credit its source requires.</summary>
    public ProviderImage WithAttribution(ImageAttribution? attribution) => new(ContentType, Width, Height, _open, attribution);

    /// <summary>Opens the encoded bytes for reading. The caller owns and disposes the stream.</summary>
    public ValueTask<Stream> OpenReadAsync(CancellationToken cancellationToken) => _open(cancellationToken);

    /// <summary>A read-only stream over memory that is not copied (MemoryStream would need an array).</summary>
    private sealed class ReadOnlyMemoryStream(ReadOnlyMemory<byte> content) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => content.Length;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var slice = content.Span[_position..];
            var count = Math.Min(slice.Length, buffer.Length);
            slice[..count].CopyTo(buffer);
            _position += count;
            return count;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer.AsSpan(offset, count)));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
