using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ImageGen.Storage.Grpc;

namespace ImageGen.Storage.Tests;

public sealed class Downloading_files(StorageApp app) : IClassFixture<StorageApp>, IAsyncLifetime
{
    private readonly HttpClient _http = app.CreateClient();
    private byte[] _bytes = [];
    private ObjectInfo _stored = null!;

    public async Task InitializeAsync()
    {
        _bytes = StorageClientExtensions.RandomBytes(150_000);
        _stored = await app.GrpcClient.PutAsync("image/webp", _bytes);
    }

    public Task DisposeAsync()
    {
        _http.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_file_is_served_with_its_type_and_strong_etag_and_cached_forever()
    {
        using var response = await _http.GetAsync($"/files/{_stored.Key}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/webp", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(_bytes.Length, response.Content.Headers.ContentLength);
        Assert.Equal(new EntityTagHeaderValue($"\"{_stored.Sha256}\"", isWeak: false), response.Headers.ETag);
        Assert.Equal("public, max-age=31536000, immutable", string.Join(", ", response.Headers.GetValues("Cache-Control")));
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("bytes", Assert.Single(response.Headers.AcceptRanges));
        Assert.Equal(_bytes, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Head_answers_the_headers_without_the_body()
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, $"/files/{_stored.Key}");
        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/webp", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(_bytes.Length, response.Content.Headers.ContentLength);
        Assert.Equal($"\"{_stored.Sha256}\"", response.Headers.ETag?.Tag);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_matching_if_none_match_answers_not_modified()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/files/{_stored.Key}");
        request.Headers.IfNoneMatch.Add(new EntityTagHeaderValue($"\"{_stored.Sha256}\""));
        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Equal($"\"{_stored.Sha256}\"", response.Headers.ETag?.Tag);
        Assert.Contains("immutable", response.Headers.CacheControl?.Extensions.Select(e => e.Name) ?? []);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_different_if_none_match_answers_the_file()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/files/{_stored.Key}");
        request.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"something-else\""));
        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(_bytes.Length, (await response.Content.ReadAsByteArrayAsync()).Length);
    }

    [Fact]
    public async Task A_byte_range_answers_partial_content_with_exactly_those_bytes()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/files/{_stored.Key}");
        request.Headers.Range = new RangeHeaderValue(100_000, 100_999);
        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(new ContentRangeHeaderValue(100_000, 100_999, _bytes.Length), response.Content.Headers.ContentRange);
        Assert.Equal(_bytes[100_000..101_000], await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_suffix_range_answers_the_end_of_the_file()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/files/{_stored.Key}");
        request.Headers.Range = new RangeHeaderValue(null, 10);
        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(_bytes[^10..], await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_range_beyond_the_end_is_not_satisfiable()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/files/{_stored.Key}");
        request.Headers.Range = new RangeHeaderValue(_bytes.Length + 10, _bytes.Length + 20);
        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, response.StatusCode);
        Assert.Equal(_bytes.Length, response.Content.Headers.ContentRange?.Length);
    }

    [Theory]
    [InlineData("not-a-key")]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000.exe")]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000.PNG")]
    [InlineData("..%2F..%2Fetc%2Fpasswd")]
    [InlineData("0000000000000000000000000000000000000000000000000000000000000000.png%20")]
    public async Task A_malformed_key_is_a_bad_request_problem(string key)
    {
        using var response = await _http.GetAsync($"/files/{key}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await ReadProblemAsync(response);
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.Contains("not a storage key", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("ETag"));
    }

    [Fact]
    public async Task An_unknown_key_is_a_not_found_problem_that_is_not_cached_forever()
    {
        const string unknown = "1111111111111111111111111111111111111111111111111111111111111111.png";

        using var response = await _http.GetAsync($"/files/{unknown}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var problem = await ReadProblemAsync(response);
        Assert.Equal(404, problem.GetProperty("status").GetInt32());
        Assert.Contains(unknown, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("immutable", response.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_image_type_is_served_with_its_own_content_type()
    {
        foreach (var contentType in new[] { "image/png", "image/jpeg", "image/webp", "image/gif" })
        {
            var info = await app.GrpcClient.PutAsync(contentType, StorageClientExtensions.RandomBytes(64));
            using var response = await _http.GetAsync($"/files/{info.Key}");
            Assert.Equal(contentType, response.Content.Headers.ContentType?.MediaType);
        }
    }

    private static async Task<JsonElement> ReadProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }
}
