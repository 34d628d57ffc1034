using ImageGen.Storage.Objects;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ImageGen.Storage.Tests;

public sealed class Validating_storage_keys : IDisposable
{
    private const string Hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "imagegen-storage-tests", Guid.NewGuid().ToString("N"));

    public static TheoryData<string> Unsafe_or_malformed_keys => new()
    {
        "",
        " ",
        Hash,
        Hash + ".",
        Hash + ".exe",
        Hash + ".PNG",
        Hash + ".jpeg",
        Hash + ".png ",
        Hash + ".png\n",
        Hash + ".png\0",
        Hash + ".png.png",
        Hash + ".png/..",
        Hash.ToUpperInvariant() + ".png",
        Hash[..63] + ".png",
        Hash + "0.png",
        Hash[..62] + "g0.png",
        "../" + Hash[3..] + ".png",
        "..%2F" + Hash[5..] + ".png",
        "/etc/passwd",
        "/" + Hash[1..] + ".png",
        "..\\" + Hash[3..] + ".png",
        "9f/" + Hash + ".png",
        "\0" + Hash[1..] + ".png",
        ".." + Hash[2..] + ".png",
        "~/" + Hash[2..] + ".png",
        "C:\\windows\\" + Hash + ".png",
        new string('a', 10_000) + ".png",
    };

    [Theory]
    [MemberData(nameof(Unsafe_or_malformed_keys))]
    public void Anything_but_lowercase_sha256_and_a_known_extension_is_rejected(string key)
    {
        Assert.False(StorageKey.TryParse(key, out _));
    }

    [Fact]
    public void Null_is_rejected()
    {
        Assert.False(StorageKey.TryParse(null, out _));
    }

    [Theory]
    [InlineData("png", "image/png")]
    [InlineData("jpg", "image/jpeg")]
    [InlineData("webp", "image/webp")]
    [InlineData("gif", "image/gif")]
    public void A_valid_key_yields_its_hash_and_content_type(string extension, string contentType)
    {
        Assert.True(StorageKey.TryParse($"{Hash}.{extension}", out var key));
        Assert.Equal(Hash, key.Sha256);
        Assert.Equal(extension, key.Extension);
        Assert.Equal(contentType, key.ContentType);
        Assert.Equal($"{Hash}.{extension}", key.ToString());
    }

    [Theory]
    [InlineData("image/png", "png")]
    [InlineData("IMAGE/PNG", "png")]
    [InlineData("image/jpeg", "jpg")]
    [InlineData("image/webp; q=1", "webp")]
    [InlineData(" image/gif ", "gif")]
    public void Supported_content_types_map_to_their_extension(string contentType, string extension)
    {
        Assert.True(ImageContentTypes.TryGetExtension(contentType, out var actual));
        Assert.Equal(extension, actual);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("image/jpg")]
    [InlineData("image/svg+xml")]
    [InlineData("text/html")]
    [InlineData("application/octet-stream")]
    [InlineData("image/png2")]
    public void Other_content_types_have_no_extension(string? contentType)
    {
        Assert.False(ImageContentTypes.TryGetExtension(contentType, out _));
    }

    [Fact]
    public void A_key_resolves_to_a_file_in_its_shard_under_the_root()
    {
        var store = CreateStore();
        Assert.True(StorageKey.TryParse(Hash + ".png", out var key));

        var path = store.PathOf(key);

        Assert.Equal(Path.Combine(store.RootPath, "9f", Hash + ".png"), path);
        Assert.StartsWith(store.RootPath + Path.DirectorySeparatorChar, Path.GetFullPath(path), StringComparison.Ordinal);
    }

    [Fact]
    public void A_relative_root_is_resolved_against_the_content_root_and_created()
    {
        var store = new FileSystemObjectStore(
            Options.Create(new StorageOptions { RootPath = "relative/store" }),
            new HostingEnvironment { ContentRootPath = _root },
            NullLogger<FileSystemObjectStore>.Instance);

        Assert.Equal(Path.Combine(_root, "relative", "store"), store.RootPath);
        Assert.True(Directory.Exists(store.RootPath));
    }

    [Fact]
    public void A_root_that_cannot_be_created_is_reported_with_the_setting_to_fix()
    {
        Directory.CreateDirectory(_root);
        var blocker = Path.Combine(_root, "a-file");
        File.WriteAllText(blocker, "not a directory");

        var error = Assert.Throws<InvalidOperationException>(() => new FileSystemObjectStore(
            Options.Create(new StorageOptions { RootPath = Path.Combine(blocker, "store") }),
            new HostingEnvironment { ContentRootPath = _root },
            NullLogger<FileSystemObjectStore>.Instance));

        Assert.Contains("Storage:RootPath", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Stale_temporary_files_of_an_interrupted_put_are_removed_at_start()
    {
        var tmp = Path.Combine(_root, ".tmp");
        Directory.CreateDirectory(tmp);
        var stale = Path.Combine(tmp, "stale.part");
        var fresh = Path.Combine(tmp, "fresh.part");
        File.WriteAllText(stale, "x");
        File.WriteAllText(fresh, "x");
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddDays(-1));

        CreateStore();

        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(fresh));
    }

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private FileSystemObjectStore CreateStore() => new(
        Options.Create(new StorageOptions { RootPath = _root }),
        new HostingEnvironment { ContentRootPath = Path.GetTempPath() },
        NullLogger<FileSystemObjectStore>.Instance);
}
