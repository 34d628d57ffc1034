using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Cloudflare;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Adapters.Cloudflare;

public sealed class Generating_images_with_workers_ai : IAsyncLifetime
{
    private static readonly string FluxPath = CloudflareFake.PathFor(CloudflareFake.FluxRoute);
    private static readonly string SdxlPath = CloudflareFake.PathFor(CloudflareFake.SdxlRoute);
    private FakeProviderServer _fake = null!;

    public async Task InitializeAsync() => _fake = await CloudflareFake.StartAsync();

    public async Task DisposeAsync() => await _fake.DisposeAsync();

    [Fact]
    public async Task Flux_schnell_is_run_on_the_configured_account_with_the_bearer_token_and_only_the_prompt()
    {
        using var host = CloudflareTestHost.For(_fake);

        await host.Adapter.GenerateAsync(CloudflareTestHost.Request(), CancellationToken.None);

        var call = Assert.Single(_fake.RequestsTo(FluxPath));
        Assert.Equal("POST", call.Method);
        Assert.Equal($"Bearer {CloudflareFake.ApiToken}", call.Header("Authorization"));
        Assert.StartsWith("application/json", call.Header("Content-Type"));
        // Its schema is closed: a seed, a size or a negative prompt would be refused.
        Assert.Equal(["prompt"], call.Json().EnumerateObject().Select(p => p.Name));
        Assert.Equal("a lighthouse on a cliff at dawn", call.Json().GetProperty("prompt").GetString());
    }

    [Fact]
    public async Task Flux_schnells_base64_jpeg_comes_back_decoded_at_1024_square()
    {
        using var host = CloudflareTestHost.For(_fake);

        var result = await host.Adapter.GenerateAsync(CloudflareTestHost.Request(), CancellationToken.None);

        Assert.Equal(CloudflareAdapter.FluxSchnell, result.Model);
        var image = Assert.Single(result.Images);
        Assert.Equal(("image/jpeg", 1024, 1024), (image.ContentType, image.Width, image.Height));
        using var decoded = ImageAssert.Decode(await TestImages.ReadAsync(image));
        Assert.Equal((1024, 1024), (decoded.Width, decoded.Height));
    }

    [Fact]
    public async Task A_steps_parameter_is_passed_to_flux_schnell()
    {
        using var host = CloudflareTestHost.For(_fake);
        var parameters = new Dictionary<string, string> { ["size"] = "1024x1024", ["steps"] = "8" };

        await host.Adapter.GenerateAsync(CloudflareTestHost.Request(parameters: parameters), CancellationToken.None);

        Assert.Equal(8, Assert.Single(_fake.RequestsTo(FluxPath)).Json().GetProperty("steps").GetInt32());
    }

    [Fact]
    public async Task Stable_diffusion_xl_is_sent_the_size_seed_and_negative_prompt_and_its_raw_png_is_kept()
    {
        using var host = CloudflareTestHost.For(_fake);

        var result = await host.Adapter.GenerateAsync(
            CloudflareTestHost.Request(model: CloudflareAdapter.StableDiffusionXl, width: 320, height: 256, seed: 77, negativePrompt: "fog"),
            CancellationToken.None);

        var body = Assert.Single(_fake.RequestsTo(SdxlPath)).Json();
        Assert.Equal((320, 256, 77L, "fog"), (body.GetProperty("width").GetInt32(), body.GetProperty("height").GetInt32(),
            body.GetProperty("seed").GetInt64(), body.GetProperty("negative_prompt").GetString()));
        var image = Assert.Single(result.Images);
        Assert.Equal(("image/png", 320, 256), (image.ContentType, image.Width, image.Height));
        Assert.Equal(CloudflareAdapter.StableDiffusionXl, result.Model);
    }

    [Fact]
    public async Task Each_image_of_a_job_is_its_own_run_and_sdxl_gets_the_seed_plus_the_image_index()
    {
        using var host = CloudflareTestHost.For(_fake);

        var result = await host.Adapter.GenerateAsync(
            CloudflareTestHost.Request(model: CloudflareAdapter.StableDiffusionXl, width: 256, height: 256, count: 3, seed: 10),
            CancellationToken.None);

        Assert.Equal(3, result.Images.Count);
        Assert.Equal([10L, 11L, 12L], _fake.RequestsTo(SdxlPath).Select(r => r.Json().GetProperty("seed").GetInt64()));
    }

    [Fact]
    public async Task Without_an_account_id_the_failure_names_the_setting_and_nothing_is_sent()
    {
        using var host = CloudflareTestHost.For(_fake, accountId: null);

        var error = await Assert.ThrowsAsync<ProviderException>(() => host.Adapter.GenerateAsync(CloudflareTestHost.Request(), CancellationToken.None));

        Assert.Equal((ErrorCodes.Authentication, false), (error.Code, error.Retryable));
        Assert.Contains("Providers:cloudflare:Options:AccountId", error.Message);
        Assert.Empty(_fake.Requests);
    }

    [Fact]
    public async Task Input_images_are_refused_without_calling_cloudflare()
    {
        using var host = CloudflareTestHost.For(_fake);
        var request = CloudflareTestHost.Request() with { InputImages = ["https://images.example/a.png"] };

        var error = await Assert.ThrowsAsync<ProviderException>(() => host.Adapter.GenerateAsync(request, CancellationToken.None));

        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
        Assert.Empty(_fake.Requests);
    }

    [Fact]
    public async Task A_model_this_adapter_does_not_know_is_refused_without_calling_cloudflare()
    {
        using var host = CloudflareTestHost.For(_fake);

        var error = await Assert.ThrowsAsync<ProviderException>(() => host.Adapter.GenerateAsync(CloudflareTestHost.Request(model: "dreamshaper-8-lcm"), CancellationToken.None));

        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
        Assert.Contains(CloudflareAdapter.FluxSchnell, error.Message);
        Assert.Empty(_fake.Requests);
    }
}
