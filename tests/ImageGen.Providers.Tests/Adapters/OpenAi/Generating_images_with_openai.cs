using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.OpenAi;
using ImageGen.Providers.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;

namespace ImageGen.Providers.Tests.Adapters.OpenAi;

public sealed class Generating_images_with_openai : IAsyncLifetime
{
    private const string Generations = "/v1/images/generations";
    private OpenAiFake _fake = null!;

    public async Task InitializeAsync() => _fake = await OpenAiFake.StartAsync();

    public async Task DisposeAsync() => await _fake.DisposeAsync();

    /// <summary>OpenAI's published gpt-image-1 rates in USD per 1M tokens, as of 2026-11.</summary>
    private static decimal TokenCost(int text, int image, int output) => Math.Round((text * 5m + image * 10m + output * 40m) / 1_000_000m, 6);

    [Fact]
    public async Task Gpt_image_1_is_sent_the_translated_size_medium_quality_and_the_output_format_in_one_call()
    {
        using var host = OpenAiTestHost.For(_fake);

        await host.Adapter.GenerateAsync(OpenAiTestHost.Request(count: 2, size: "1536x1024", format: ImageOutputFormat.Webp), CancellationToken.None);

        var call = Assert.Single(_fake.Server.RequestsTo(Generations));
        Assert.Equal("POST", call.Method);
        Assert.Equal($"Bearer {OpenAiFake.Key}", call.Header("Authorization"));
        Assert.StartsWith("application/json", call.Header("Content-Type"));
        var body = call.Json();
        Assert.Equal("gpt-image-1", body.GetProperty("model").GetString());
        Assert.Equal("a red fox in the snow", body.GetProperty("prompt").GetString());
        Assert.Equal(2, body.GetProperty("n").GetInt32());
        Assert.Equal("1536x1024", body.GetProperty("size").GetString());
        Assert.Equal("medium", body.GetProperty("quality").GetString());
        Assert.Equal("webp", body.GetProperty("output_format").GetString());
        foreach (var absent in new[] { "response_format", "style", "seed", "negative_prompt", "moderation", "background" })
        {
            Assert.False(body.TryGetProperty(absent, out _), $"{absent} must not be sent to gpt-image-1");
        }
    }

    [Fact]
    public async Task Gpt_image_1_images_come_back_decoded_at_the_size_and_in_the_format_asked()
    {
        using var host = OpenAiTestHost.For(_fake);

        var result = await host.Adapter.GenerateAsync(OpenAiTestHost.Request(count: 2, size: "1024x1536", format: ImageOutputFormat.Jpeg), CancellationToken.None);

        Assert.Equal("gpt-image-1", result.Model);
        Assert.Equal(2, result.Images.Count);
        foreach (var image in result.Images)
        {
            Assert.Equal(("image/jpeg", 1024, 1536), (image.ContentType, image.Width, image.Height));
            using var decoded = ImageAssert.Decode(await TestImages.ReadAsync(image));
            Assert.Equal((1024, 1536), (decoded.Width, decoded.Height));
        }
    }

    [Fact]
    public async Task The_cost_is_the_exact_token_cost_from_the_usage_gpt_image_1_reports()
    {
        using var host = OpenAiTestHost.For(_fake);
        var request = OpenAiTestHost.Request(count: 2, size: "1536x1024");

        var result = await host.Adapter.GenerateAsync(request, CancellationToken.None);

        var expected = TokenCost(OpenAiFake.TextTokens(request.Prompt), 0, 2 * OpenAiFake.OutputTokensPerImage("medium", "1536x1024"));
        Assert.Equal(expected, result.CostUsd);
        // Two medium 1536x1024 images at the published $0.063 each, plus a few prompt tokens.
        Assert.InRange(result.CostUsd!.Value, 0.126m, 0.127m);
    }

    [Theory]
    [InlineData(null, null, "medium")]
    [InlineData(null, "low", "low")]
    [InlineData("high", "low", "high")]
    public async Task The_quality_is_the_jobs_else_the_configured_default_else_medium(string? jobQuality, string? configured, string sent)
    {
        using var host = OpenAiTestHost.For(_fake, new() { ["Providers:openai:Options:Quality"] = configured });
        var parameters = jobQuality is null ? null : new Dictionary<string, string> { ["quality"] = jobQuality };

        var result = await host.Adapter.GenerateAsync(OpenAiTestHost.Request(parameters: parameters), CancellationToken.None);

        var body = Assert.Single(_fake.Server.RequestsTo(Generations)).Json();
        Assert.Equal(sent, body.GetProperty("quality").GetString());
        Assert.Equal(TokenCost(OpenAiFake.TextTokens("a red fox in the snow"), 0, OpenAiFake.OutputTokensPerImage(sent, "1024x1024")), result.CostUsd);
    }

    [Fact]
    public async Task A_moderation_level_configured_for_the_worker_and_job_parameters_are_passed_on()
    {
        using var host = OpenAiTestHost.For(_fake, new() { ["Providers:openai:Options:Moderation"] = "low" });
        var parameters = new Dictionary<string, string> { ["background"] = "transparent", ["output_compression"] = "80" };

        await host.Adapter.GenerateAsync(OpenAiTestHost.Request(parameters: parameters, format: ImageOutputFormat.Webp), CancellationToken.None);

        var body = Assert.Single(_fake.Server.RequestsTo(Generations)).Json();
        Assert.Equal("low", body.GetProperty("moderation").GetString());
        Assert.Equal("transparent", body.GetProperty("background").GetString());
        Assert.Equal(80, body.GetProperty("output_compression").GetInt32());
    }

    [Fact]
    public async Task A_job_that_names_no_model_gets_gpt_image_1()
    {
        using var host = OpenAiTestHost.For(_fake);

        var result = await host.Adapter.GenerateAsync(OpenAiTestHost.Request(model: ""), CancellationToken.None);

        Assert.Equal("gpt-image-1", result.Model);
        Assert.Equal("gpt-image-1", Assert.Single(_fake.Server.RequestsTo(Generations)).Json().GetProperty("model").GetString());
    }

    [Fact]
    public async Task Dall_e_3_is_called_once_per_image_with_n_1_and_asked_for_base64()
    {
        using var host = OpenAiTestHost.For(_fake);

        var result = await host.Adapter.GenerateAsync(OpenAiTestHost.Request(model: "dall-e-3", count: 3, size: "1792x1024"), CancellationToken.None);

        var calls = _fake.Server.RequestsTo(Generations);
        Assert.Equal(3, calls.Count);
        foreach (var call in calls)
        {
            var body = call.Json();
            Assert.Equal("dall-e-3", body.GetProperty("model").GetString());
            Assert.Equal(1, body.GetProperty("n").GetInt32());
            Assert.Equal("1792x1024", body.GetProperty("size").GetString());
            Assert.Equal("standard", body.GetProperty("quality").GetString());
            Assert.Equal("b64_json", body.GetProperty("response_format").GetString());
            Assert.False(body.TryGetProperty("output_format", out _));
        }

        Assert.Equal(3, result.Images.Count);
        Assert.All(result.Images, image => Assert.Equal(("image/png", 1792, 1024), (image.ContentType, image.Width, image.Height)));
        Assert.DoesNotContain(_fake.Server.Requests, r => r.Path.StartsWith("/files/", StringComparison.Ordinal));
        // Three wide standard images at $0.08.
        Assert.Equal(0.24m, result.CostUsd);
    }

    [Fact]
    public async Task Dall_e_3_hd_and_its_style_are_sent_and_priced_as_hd()
    {
        using var host = OpenAiTestHost.For(_fake);
        var parameters = new Dictionary<string, string> { ["quality"] = "hd", ["style"] = "natural" };

        var result = await host.Adapter.GenerateAsync(OpenAiTestHost.Request(model: "dall-e-3", count: 2, parameters: parameters), CancellationToken.None);

        Assert.All(_fake.Server.RequestsTo(Generations), call =>
        {
            Assert.Equal("hd", call.Json().GetProperty("quality").GetString());
            Assert.Equal("natural", call.Json().GetProperty("style").GetString());
        });
        Assert.Equal(0.16m, result.CostUsd);
    }

    [Fact]
    public async Task A_dall_e_3_answer_with_a_url_is_downloaded_from_it()
    {
        using var host = OpenAiTestHost.For(_fake);

        var result = await host.Adapter.GenerateAsync(
            OpenAiTestHost.Request(prompt: $"a lighthouse {OpenAiFake.AnswerWithUrl}", model: "dall-e-3"), CancellationToken.None);

        var image = Assert.Single(result.Images);
        Assert.Equal(("image/png", 1024, 1024), (image.ContentType, image.Width, image.Height));
        using var decoded = ImageAssert.Decode(await TestImages.ReadAsync(image));
        Assert.Equal(1024, decoded.Width);
        var download = Assert.Single(_fake.Server.Requests, r => r.Path.StartsWith("/files/", StringComparison.Ordinal));
        Assert.Equal("GET", download.Method);
    }

    [Fact]
    public async Task A_url_answer_on_a_local_address_is_not_fetched_unless_that_host_is_allowed()
    {
        using var host = OpenAiTestHost.For(_fake, allowedHosts: []);

        var error = await Assert.ThrowsAsync<ProviderException>(() => host.Adapter.GenerateAsync(
            OpenAiTestHost.Request(prompt: $"a lighthouse {OpenAiFake.AnswerWithUrl}", model: "dall-e-3"), CancellationToken.None));

        Assert.Equal(ErrorCodes.Internal, error.Code);
        Assert.Contains("AllowedHosts", error.Message);
        Assert.DoesNotContain(_fake.Server.Requests, r => r.Path.StartsWith("/files/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Dall_e_3_cannot_edit_so_a_job_with_input_images_is_refused_before_anything_is_sent()
    {
        using var host = OpenAiTestHost.For(_fake);
        var input = $"data:image/png;base64,{Convert.ToBase64String(TestImages.Png(32, 32))}";

        var error = await Assert.ThrowsAsync<ProviderException>(() => host.Adapter.GenerateAsync(
            OpenAiTestHost.Request(model: "dall-e-3", inputImages: [input]), CancellationToken.None));

        Assert.Equal((ErrorCodes.InvalidRequest, false), (error.Code, error.Retryable));
        Assert.Empty(_fake.Server.Requests);
    }

    [Fact]
    public async Task Without_a_key_the_call_fails_as_authentication_before_anything_is_sent()
    {
        using var host = OpenAiTestHost.For(_fake);

        var error = await Assert.ThrowsAsync<ProviderException>(() => host.Adapter.GenerateAsync(OpenAiTestHost.Request(key: null), CancellationToken.None));

        Assert.Equal(ErrorCodes.Authentication, error.Code);
        Assert.Empty(_fake.Server.Requests);
    }

    [Fact]
    public void The_adapter_is_registered_as_openai_with_the_public_api_as_its_default_base_url()
    {
        using var host = OpenAiTestHost.For(fake: null);

        var client = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(OpenAiAdapter.Id);

        Assert.Equal(("openai", true), (host.Adapter.ProviderId, host.Adapter.RequiresCredential));
        Assert.Equal(new Uri("https://api.openai.com/v1/"), client.BaseAddress);
    }
}
