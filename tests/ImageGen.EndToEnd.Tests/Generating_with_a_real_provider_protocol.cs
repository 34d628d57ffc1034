using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ImageGen.Providers.Tests.Fakes;
using SkiaSharp;

namespace ImageGen.EndToEnd.Tests;

/// <summary>
/// The whole system with its OpenAI worker pointed at a fake that speaks OpenAI's Images API: the
/// request is translated, the key sent, the result stored, errors mapped — all seen from the gateway.
/// </summary>
[Collection(ImageGenSystemCollection.Name)]
public class Generating_with_a_real_provider_protocol(ImageGenSystem system)
{
    private HttpClient Gateway => system.Gateway;

    private async Task<JsonElement> SubmitAndWait(string json, string? ownKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (ownKey is not null)
        {
            request.Headers.Add("X-Provider-Key", ownKey);
        }

        var response = await Gateway.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        return await system.WaitForTerminalAsync(id);
    }

    [Fact]
    public async Task The_registry_shows_openai_available_with_its_worker_and_key()
    {
        var openai = await Gateway.GetFromJsonAsync<JsonElement>("/v1/providers/openai");

        Assert.True(openai.GetProperty("available").GetBoolean());
        Assert.True(openai.GetProperty("credentials_configured").GetBoolean());
    }

    [Fact]
    public async Task A_gpt_image_job_is_translated_sent_with_the_key_stored_and_costed()
    {
        var job = await SubmitAndWait("""{"provider":"openai","model":"gpt-image-1","prompt":"a lighthouse, e2e","size":"1000x1000"}""");

        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        Assert.Equal("1024x1024", job.GetProperty("applied_parameters").GetProperty("size").GetString());
        Assert.Contains(job.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("1024x1024"));
        Assert.True(job.GetProperty("estimated_cost_usd").GetDecimal() > 0);
        var image = Assert.Single(job.GetProperty("images").EnumerateArray());
        var bytes = await Gateway.GetByteArrayAsync(new Uri(image.GetProperty("url").GetString()!).PathAndQuery);
        using var bitmap = SKBitmap.Decode(bytes);
        Assert.Equal((1024, 1024), (bitmap.Width, bitmap.Height));

        var sent = system.OpenAi.Server.RequestsTo("/v1/images/generations").Last(r => r.BodyText.Contains("a lighthouse, e2e"));
        Assert.Equal($"Bearer {OpenAiFake.Key}", sent.Header("Authorization"));
        Assert.Equal("1024x1024", sent.Json().GetProperty("size").GetString());
    }

    [Fact]
    public async Task A_dall_e_url_answer_is_fetched_and_stored_so_the_client_never_sees_the_provider_url()
    {
        var job = await SubmitAndWait($$"""{"model":"openai/dall-e-3","prompt":"a paper boat {{OpenAiFake.AnswerWithUrl}}"}""");

        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        var url = job.GetProperty("images")[0].GetProperty("url").GetString()!;
        Assert.StartsWith(Gateway.BaseAddress!.ToString().TrimEnd('/') + "/files/", url);
        Assert.DoesNotContain(system.OpenAi.Server.HostAndPort, url);
    }

    [Theory]
    [InlineData(OpenAiFake.Moderated, "content_policy")]
    [InlineData(OpenAiFake.OutOfQuota, "insufficient_credit")]
    [InlineData(OpenAiFake.RateLimited, "rate_limited")]
    public async Task Provider_errors_reach_the_job_as_unified_codes(string marker, string code)
    {
        var job = await SubmitAndWait($$"""{"provider":"openai","prompt":"trouble {{marker}}"}""");

        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Equal(code, job.GetProperty("error").GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(job.GetProperty("error").GetProperty("message").GetString()));
    }

    [Fact]
    public async Task A_callers_own_key_is_the_one_the_provider_receives_for_that_job()
    {
        const string wrongKey = "sk-caller-key-that-openai-rejects";

        var job = await SubmitAndWait("""{"provider":"openai","prompt":"with my own key"}""", ownKey: wrongKey);

        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Equal("authentication", job.GetProperty("error").GetProperty("code").GetString());
        Assert.DoesNotContain(wrongKey, job.GetRawText());
        var sent = system.OpenAi.Server.RequestsTo("/v1/images/generations").Last(r => r.BodyText.Contains("with my own key"));
        Assert.Equal($"Bearer {wrongKey}", sent.Header("Authorization"));
    }
}
