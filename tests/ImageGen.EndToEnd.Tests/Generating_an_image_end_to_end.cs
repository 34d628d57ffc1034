using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SkiaSharp;

namespace ImageGen.EndToEnd.Tests;

[Collection(ImageGenSystemCollection.Name)]
public class Generating_an_image_end_to_end(ImageGenSystem system)
{
    private HttpClient Gateway => system.Gateway;

    private Task<HttpResponseMessage> PostJson(string path, string json) =>
        Gateway.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    [Fact]
    public async Task A_submitted_job_succeeds_and_its_png_downloads_at_the_requested_size()
    {
        var response = await PostJson("/v1/jobs", """{"prompt":"a red fox in snow","size":"640x384"}""");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var created = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("queued", created.GetProperty("status").GetString());
        Assert.Equal(Gateway.BaseAddress!.Authority, response.Headers.Location!.Authority);

        var job = await system.WaitForTerminalAsync(created.GetProperty("id").GetString()!);

        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        var image = Assert.Single(job.GetProperty("images").EnumerateArray());
        var url = new Uri(image.GetProperty("url").GetString()!);
        Assert.Equal(Gateway.BaseAddress.Authority, url.Authority);

        var download = await Gateway.GetAsync(url.PathAndQuery);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("image/png", download.Content.Headers.ContentType!.MediaType);
        var bytes = await download.Content.ReadAsByteArrayAsync();
        Assert.Equal(image.GetProperty("bytes").GetInt64(), bytes.Length);
        Assert.Equal(image.GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(bytes)));
        using var bitmap = SKBitmap.Decode(bytes);
        Assert.Equal((640, 384), (bitmap.Width, bitmap.Height));
        Assert.Equal((640, 384), (image.GetProperty("width").GetInt32(), image.GetProperty("height").GetInt32()));
    }

    [Fact]
    public async Task Downloads_are_cacheable_forever_and_revalidate_by_etag()
    {
        var job = await SubmitAndWait("""{"prompt":"cache me","size":"128x128"}""");
        var path = new Uri(job.GetProperty("images")[0].GetProperty("url").GetString()!).PathAndQuery;

        var first = await Gateway.GetAsync(path);
        Assert.Contains("immutable", first.Headers.CacheControl!.ToString());
        using var revalidate = new HttpRequestMessage(HttpMethod.Get, path);
        revalidate.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        var second = await Gateway.SendAsync(revalidate);

        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
    }

    [Fact]
    public async Task The_same_prompt_seed_and_size_give_the_same_image_and_a_different_prompt_does_not()
    {
        var a = await SubmitAndWait("""{"prompt":"a lighthouse at dusk","seed":1234,"size":"256x256"}""");
        var b = await SubmitAndWait("""{"prompt":"a lighthouse at dusk","seed":1234,"size":"256x256"}""");
        var c = await SubmitAndWait("""{"prompt":"a forest in autumn","seed":1234,"size":"256x256"}""");

        string Sha(JsonElement job) => job.GetProperty("images")[0].GetProperty("sha256").GetString()!;
        Assert.Equal(Sha(a), Sha(b));
        Assert.NotEqual(Sha(a), Sha(c));
    }

    [Fact]
    public async Task Several_images_in_several_formats_are_made_and_stored()
    {
        var job = await SubmitAndWait("""{"prompt":"tiles","n":3,"size":"200x100","output_format":"webp"}""");

        var images = job.GetProperty("images").EnumerateArray().ToList();
        Assert.Equal(3, images.Count);
        Assert.Equal(3, images.Select(i => i.GetProperty("sha256").GetString()).Distinct().Count());
        foreach (var image in images)
        {
            Assert.Equal("image/webp", image.GetProperty("content_type").GetString());
            var bytes = await Gateway.GetByteArrayAsync(new Uri(image.GetProperty("url").GetString()!).PathAndQuery);
            using var bitmap = SKBitmap.Decode(bytes);
            Assert.Equal((200, 100), (bitmap.Width, bitmap.Height));
        }
    }

    [Fact]
    public async Task The_openai_compatible_endpoint_answers_with_urls_or_base64()
    {
        var byUrl = await PostJson("/v1/images/generations", """{"model":"builtin","prompt":"a paper boat","size":"256x256"}""");
        Assert.Equal(HttpStatusCode.OK, byUrl.StatusCode);
        var url = (await byUrl.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data")[0].GetProperty("url").GetString()!;
        var fromUrl = await Gateway.GetByteArrayAsync(new Uri(url).PathAndQuery);

        var byBase64 = await PostJson("/v1/images/generations", """{"model":"builtin/procedural-v1","prompt":"a paper boat","size":"256x256","response_format":"b64_json","n":2}""");
        Assert.Equal(HttpStatusCode.OK, byBase64.StatusCode);
        var data = (await byBase64.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(2, data.Count);
        foreach (var item in data)
        {
            using var bitmap = SKBitmap.Decode(Convert.FromBase64String(item.GetProperty("b64_json").GetString()!));
            Assert.Equal((256, 256), (bitmap.Width, bitmap.Height));
        }

        using var decoded = SKBitmap.Decode(fromUrl);
        Assert.Equal((256, 256), (decoded.Width, decoded.Height));
    }

    [Fact]
    public async Task The_provider_registry_lists_the_builtin_renderer()
    {
        var providers = await Gateway.GetFromJsonAsync<JsonElement>("/v1/providers");

        var builtin = Assert.Single(providers.GetProperty("data").EnumerateArray(), p => p.GetProperty("id").GetString() == "builtin");
        Assert.True(builtin.GetProperty("available").GetBoolean());
        Assert.Equal("procedural-v1", builtin.GetProperty("models")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task Stats_count_completed_jobs_per_provider()
    {
        await SubmitAndWait("""{"prompt":"count me","size":"64x64"}""");

        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonElement group;
        do
        {
            var stats = await Gateway.GetFromJsonAsync<JsonElement>("/v1/stats?group_by=provider");
            group = stats.GetProperty("groups").EnumerateArray().FirstOrDefault(g => g.GetProperty("key").GetString() == "builtin");
            if (group.ValueKind == JsonValueKind.Object && group.GetProperty("succeeded").GetInt64() >= 1)
            {
                break;
            }

            await Task.Delay(250);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Equal(JsonValueKind.Object, group.ValueKind);
        Assert.True(group.GetProperty("succeeded").GetInt64() >= 1);
        Assert.True(group.GetProperty("latency_ms").GetProperty("p50").GetDouble() > 0);
    }

    private async Task<JsonElement> SubmitAndWait(string json)
    {
        var response = await PostJson("/v1/jobs", json);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var job = await system.WaitForTerminalAsync(id);
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        return job;
    }
}
