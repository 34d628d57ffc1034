namespace ImageGen.Storage.Objects;

/// <summary>Configuration section <c>Storage</c>.</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    /// <summary>Directory of the filesystem store; relative paths are resolved against the content root.</summary>
    public string RootPath { get; set; } = ".data/storage";

    /// <summary>Largest object a put may store. Generated images are a few MiB; the cap stops a runaway stream filling the disk.</summary>
    public long MaxObjectBytes { get; set; } = 50L * 1024 * 1024;
}
