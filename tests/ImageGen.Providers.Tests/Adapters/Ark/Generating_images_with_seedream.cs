using System.Text.Json;
using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Adapters.Ark;

public sealed class Generating_images_with_seedream : IAsyncLifetime
{
    private FakeProviderServer _fake = null!;

    public async Task InitializeAsync() => _fake = await ArkFake.StartAsync();

    public async Task DisposeAsync() => await _fake.DisposeAsync();

    [Fact]
    public async Task Seedream_4_is_sent_the_prompt_the_translated_size_base64_format_and_no_watermark_with_the_bearer_key()
    {
        using var host = ArkTestHost.For(_fake);

        await host.Adapter.GenerateAsync(ArkTestHost.Request(width: 1280, height: 720), CancellationToken.None);

        var call = Assert.Single(_fake.RequestsTo(ArkFake.Path));
        Assert.Equal("POST", call.Method);
        Assert.Equal($"Bearer {ArkFake.ApiKey}", call.Header("Authorization"));
        Assert.StartsWith("application/json", call.Header("Content-Type"));
        var body = call.Json();
        Assert.Equal(ArkFake.Seedream4, body.GetProperty("model").GetString());
        Assert.Equal("a paper lantern festival by a river", body.GetProperty("prompt").GetString());
        Assert.Equal("1280x720", body.GetProperty("size").GetString());
        Assert.Equal("b64_json", body.GetProperty("response_format").GetString());
        Assert.False(body.GetProperty("watermark").GetBoolean());
        foreach (var absent in new[] { "seed", "guidance_scale", "image", "negative_prompt", "n" })
        {
            Assert.False(body.TryGetProperty(absent, out _), $"{absent} must not be sent to Seedream 4.0");
        }
    }

    [Fact]
    public async Task The_image_comes_back_decoded_as_a_jpeg_of_the_size_asked_with_the_model_ark_names()
    {
        using var host = ArkTestHost.For(_fake);

        var result = await host.Adapter.GenerateAsync(ArkTestHost.Request(width: 960, height: 1280), CancellationToken.None);

        Assert.Equal(ArkFake.Seedream4, result.Model);
        var image = Assert.Single(result.Images);
        Assert.Equal(("image/jpeg", 960, 1280), (image.ContentType, image.Width, image.Height));
        using var decoded = ImageAssert.Decode(await TestImages.ReadAsync(image));
        Assert.Equal((960, 1280), (decoded.Width, decoded.Height));
        Assert.Null(result.CostUsd);
    }

    [Fact]
    public async Task A_watermark_is_asked_for_only_when_the_worker_is_configured_to()
    {
        using var host = ArkTestHost.For(_fake, new() { ["Providers:ark:Options:Watermark"] = "true" });

        await host.Adapter.GenerateAsync(ArkTestHost.Request(), CancellationToken.None);

        Assert.True(Assert.Single(_fake.RequestsTo(ArkFake.Path)).Json().GetProperty("watermark").GetBoolean());
    }

    [Fact]
    public async Task A_watermark_option_that_is_not_a_boolean_fails_before_anything_is_sent()
    {
        using var host = ArkTestHost.For(_fake, new() { ["Providers:ark:Options:Watermark"] = "sometimes" });

        var error = await Assert.ThrowsAsync<ProviderException>(() => host.Adapter.GenerateAsync(ArkTestHost.Request(), CancellationToken.None));

        Assert.Equal(ErrorCodes.Internal, error.Code);
        Assert.Contains("Providers:ark:Options:Watermark", error.Message);
        Assert.Empty(_fake.Requests);
    }

    [Fact]
    public async Task Each_image_of_a_job_is_its_own_call_because_seedream_makes_one_per_call()
    {
        using var host = ArkTestHost.For(_fake);

        var result = await host.Adapter.GenerateAsync(ArkTestHost.Request(count: 3), CancellationToken.None);

        Assert.Equal(3, result.Images.Count);
        Assert.All(result.Images, i => Assert.Equal((1280, 720), (i.Width, i.Height)));
        Assert.Equal(3, _fake.RequestsTo(ArkFake.Path).Count);
    }

    [Fact]
    public async Task Seedream_3_gets_the_seed_plus_the_image_index_and_the_guidance_scale()
    {
        using var host = ArkTestHost.For(_fake);
        var parameters = new Dictionary<string, string> { ["size"] = "1024x1024", ["guidance_scale"] = "3.5" };

        var result = await host.Adapter.GenerateAsync(
            ArkTestHost.Request(model: ArkFake.Seedream3, width: 1024, height: 1024, count: 2, seed: 41, parameters: parameters), CancellationToken.None);

        Assert.Equal(2, result.Images.Count);
        var bodies = _fake.RequestsTo(ArkFake.Path).Select(r => r.Json()).ToList();
        Assert.Equal([41L, 42L], bodies.Select(b => b.GetProperty("seed").GetInt64()));
        Assert.All(bodies, b => Assert.Equal(3.5, b.GetProperty("guidance_scale").GetDouble()));
        Assert.All(bodies, b => Assert.Equal(ArkFake.Seedream3, b.GetProperty("model").GetString()));
    }

    [Fact]
    public async Task Seedream_3_seeds_wrap_within_its_signed_32_bit_range()
    {
        using var host = ArkTestHost.For(_fake);

        await host.Adapter.GenerateAsync(
            ArkTestHost.Request(model: ArkFake.Seedream3, width: 1024, height: 1024, count: 2, seed: int.MaxValue), CancellationToken.None);

        Assert.Equal([int.MaxValue, 0L], _fake.RequestsTo(ArkFake.Path).Select(r => r.Json().GetProperty("seed").GetInt64()));
    }

    [Fact]
    public async Task One_reference_image_is_sent_as_a_string_and_several_as_an_array()
    {
        using var host = ArkTestHost.For(_fake);
        var first = $"data:image/png;base64,{Convert.ToBase64String(TestImages.Png(32, 32))}";
        const string second = "https://images.example/dress.png";

        await host.Adapter.GenerateAsync(ArkTestHost.Request(prompt: "one reference", inputImages: [first]), CancellationToken.None);
        await host.Adapter.GenerateAsync(ArkTestHost.Request(prompt: "two references", inputImages: [first, second]), CancellationToken.None);

        var calls = _fake.RequestsTo(ArkFake.Path).Select(r => r.Json()).ToList();
        Assert.Equal(first, calls[0].GetProperty("image").GetString());
        Assert.Equal(JsonValueKind.Array, calls[1].GetProperty("image").ValueKind);
        Assert.Equal([first, second], calls[1].GetProperty("image").EnumerateArray().Select(i => i.GetString()));
    }

    [Fact]
    public async Task Seedream_3_refuses_reference_images_without_calling_ark()
    {
        using var host = ArkTestHost.For(_fake);

        var error = await Assert.ThrowsAsync<ProviderException>(() => host.Adapter.GenerateAsync(
            ArkTestHost.Request(model: ArkFake.Seedream3, width: 1024, height: 1024, inputImages: ["https://images.example/a.png"]), CancellationToken.None));

        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
        Assert.Empty(_fake.Requests);
    }

    [Fact]
    public async Task More_than_ten_reference_images_are_refused_without_calling_ark()
    {
        using var host = ArkTestHost.For(_fake);
        var images = Enumerable.Range(0, 11).Select(i => $"https://images.example/{i}.png").ToList();

        var error = await Assert.ThrowsAsync<ProviderException>(() => host.Adapter.GenerateAsync(ArkTestHost.Request(inputImages: images), CancellationToken.None));

        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
        Assert.Contains("10", error.Message);
        Assert.Empty(_fake.Requests);
    }

    [Fact]
    public async Task An_answer_with_a_url_instead_of_data_is_downloaded_from_that_url()
    {
        using var host = ArkTestHost.For(_fake);

        var result = await host.Adapter.GenerateAsync(ArkTestHost.Request(prompt: "a kite as-url", width: 1280, height: 960), CancellationToken.None);

        var image = Assert.Single(result.Images);
        Assert.Equal(("image/jpeg", 1280, 960), (image.ContentType, image.Width, image.Height));
        Assert.Single(_fake.RequestsTo("/files/1280x960.jpeg"));
    }

    [Fact]
    public async Task An_empty_model_means_seedream_4()
    {
        using var host = ArkTestHost.For(_fake);

        var result = await host.Adapter.GenerateAsync(ArkTestHost.Request(model: ""), CancellationToken.None);

        Assert.Equal(ArkFake.Seedream4, Assert.Single(_fake.RequestsTo(ArkFake.Path)).Json().GetProperty("model").GetString());
        Assert.Equal(ArkFake.Seedream4, result.Model);
    }

    [Fact]
    public async Task Without_a_key_nothing_is_sent()
    {
        using var host = ArkTestHost.For(_fake);

        var error = await Assert.ThrowsAsync<ProviderException>(() => host.Adapter.GenerateAsync(ArkTestHost.Request(key: null), CancellationToken.None));

        Assert.Equal(ErrorCodes.Authentication, error.Code);
        Assert.Empty(_fake.Requests);
    }
}
