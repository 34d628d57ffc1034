using ImageGen.Storage.Objects;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace ImageGen.Storage.Apis;

/// <summary>Image downloads. Objects are content-addressed, so a response never goes stale and may be cached forever.</summary>
public static class FilesApi
{
    private const string ImmutableCacheControl = "public, max-age=31536000, immutable";

    public static IEndpointRouteBuilder MapFilesApi(this IEndpointRouteBuilder app)
    {
        var files = app.MapGroup("/files").WithTags("Files");

        files.MapMethods("/{key}", [HttpMethods.Get, HttpMethods.Head], GetFile)
            .WithName("GetFile")
            .WithSummary("Download a stored image")
            .WithDescription("Supports HEAD, conditional requests (If-None-Match) and byte ranges.");

        return app;
    }

    public static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> GetFile(
        string key, IObjectStore store, HttpContext httpContext, CancellationToken cancellationToken)
    {
        // Never let a browser second-guess the declared image type of bytes a provider produced.
        httpContext.Response.Headers.XContentTypeOptions = "nosniff";

        if (!StorageKey.TryParse(key, out var storageKey))
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status400BadRequest,
                title: "Invalid storage key",
                detail: $"'{key}' is not a storage key. {StorageKey.FormatDescription}");
        }

        var content = await store.OpenReadAsync(storageKey, cancellationToken);
        if (content is null)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status404NotFound,
                title: "File not found",
                detail: $"No file is stored under '{storageKey}'. It may have been deleted.");
        }

        httpContext.Response.Headers.CacheControl = ImmutableCacheControl;
        // The result disposes the stream once the response is written (also for 304/416 and HEAD).
        return TypedResults.Stream(
            content.Content,
            content.Info.ContentType,
            lastModified: content.Info.LastModified,
            entityTag: new EntityTagHeaderValue($"\"{storageKey.Sha256}\""),
            enableRangeProcessing: true);
    }
}
