using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ImageGen.Providers.Tests.Fakes;
using SkiaSharp;

namespace ImageGen.EndToEnd.Tests;

/// <summary>
/// The whole system with its DashScope worker pointed at a fake of DashScope's asynchronous task API:
/// the job is submitted, its task polled on the worker's schedule, and the result stored.
/// </summary>
[Collection(ImageGenSystemCollection.Name)]
public class Generating_with_a_polled_provider(ImageGenSystem system)
{
    private async Task<JsonElement> SubmitAndWait(string json)
    {
        var response = await system.Gateway.PostAsync("/v1/jobs", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        return await system.WaitForTerminalAsync(id);
    }

    [Fact]
    public async Task A_wan_job_is_submitted_polled_to_success_and_its_images_stored()
    {
        var job = await SubmitAndWait("""{"provider":"dashscope","model":"wan2.2-t2i-flash","prompt":"a harbour at dawn slow","size":"1024x768","n":2,"seed":11}""");

        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal("1024*768", job.GetProperty("applied_parameters").GetProperty("size").GetString());
        var images = job.GetProperty("images").EnumerateArray().ToList();
        Assert.Equal(2, images.Count);
        var bytes = await system.Gateway.GetByteArrayAsync(new Uri(images[0].GetProperty("url").GetString()!).PathAndQuery);
        using var bitmap = SKBitmap.Decode(bytes);
        Assert.Equal((1024, 768), (bitmap.Width, bitmap.Height));

        var submit = system.DashScope.RequestsTo(DashScopeFake.SubmitPath).Last(r => r.BodyText.Contains("a harbour at dawn slow"));
        Assert.Equal("enable", submit.Header("X-DashScope-Async"));
        Assert.Equal($"Bearer {DashScopeFake.ApiKey}", submit.Header("Authorization"));
        Assert.True(system.DashScope.Requests.Count(r => r.Path.StartsWith("/api/v1/tasks/", StringComparison.Ordinal)) >= 5);
    }

    [Fact]
    public async Task A_task_the_provider_fails_ends_the_job_with_the_mapped_code()
    {
        var job = await SubmitAndWait("""{"provider":"dashscope","prompt":"a storm unsafe-output"}""");

        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Equal("content_policy", job.GetProperty("error").GetProperty("code").GetString());
    }
}
