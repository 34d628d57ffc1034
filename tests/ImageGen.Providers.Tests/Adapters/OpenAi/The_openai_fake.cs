using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Adapters.OpenAi;

/// <summary>The fake refuses what the real API refuses, so adapter tests against it mean something.</summary>
public sealed class The_openai_fake : IAsyncLifetime
{
    private OpenAiFake _fake = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _fake = await OpenAiFake.StartAsync();
        _client = new HttpClient { BaseAddress = new Uri(_fake.BaseUrl + "/") };
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", OpenAiFake.Key);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _fake.DisposeAsync();
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(object body, string path = "images/generations")
    {
        using var response = await _client.PostAsJsonAsync(path, body);
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    private static string Message(JsonElement body) => body.GetProperty("error").GetProperty("message").GetString()!;

    [Fact]
    public async Task Dall_e_3_refuses_more_than_one_image_per_call_like_the_real_api()
    {
        var (status, body) = await PostAsync(new { model = "dall-e-3", prompt = "a fox", n = 2 });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("You must provide n=1 for this model.", Message(body));
        Assert.Equal("invalid_request_error", body.GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Gpt_image_1_refuses_response_format_because_it_always_answers_base64()
    {
        var (status, body) = await PostAsync(new { model = "gpt-image-1", prompt = "a fox", response_format = "url" });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("unknown_parameter", body.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Sizes_the_model_does_not_make_and_n_sent_as_a_string_are_refused()
    {
        var (sizeStatus, sizeBody) = await PostAsync(new { model = "gpt-image-1", prompt = "a fox", size = "1792x1024" });
        var (nStatus, nBody) = await PostAsync(new { model = "gpt-image-1", prompt = "a fox", n = "2" });

        Assert.Equal(HttpStatusCode.BadRequest, sizeStatus);
        Assert.Contains("Supported values are", Message(sizeBody));
        Assert.Equal(HttpStatusCode.BadRequest, nStatus);
        Assert.Equal("invalid_type", nBody.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Dall_e_3_answers_with_a_url_by_default_that_the_fake_serves()
    {
        var (status, body) = await PostAsync(new { model = "dall-e-3", prompt = "a fox" });

        Assert.Equal(HttpStatusCode.OK, status);
        var url = body.GetProperty("data")[0].GetProperty("url").GetString()!;
        using var image = await _client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, image.StatusCode);
        using var decoded = ImageAssert.Decode(await image.Content.ReadAsByteArrayAsync());
        Assert.Equal((1024, 1024), (decoded.Width, decoded.Height));
    }

    [Fact]
    public async Task A_request_without_the_key_gets_openais_401()
    {
        using var anonymous = new HttpClient { BaseAddress = _client.BaseAddress };

        using var response = await anonymous.PostAsJsonAsync("images/generations", new { model = "gpt-image-1", prompt = "a fox" });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("You didn't provide an API key", Message(await response.Content.ReadFromJsonAsync<JsonElement>()));
    }

    [Fact]
    public async Task Edits_take_only_multipart_forms()
    {
        var (status, body) = await PostAsync(new { model = "gpt-image-1", prompt = "a fox" }, "images/edits");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("expected multipart/form-data", Message(body));
    }
}
