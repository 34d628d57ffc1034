using System.Text;
using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Automatic1111;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Adapters.Automatic1111;

public sealed class Generating_images_with_automatic1111 : IAsyncLifetime
{
    private const string Txt2Img = "/sdapi/v1/txt2img";
    private const string Img2Img = "/sdapi/v1/img2img";
    private FakeProviderServer _fake = null!;

    public async Task InitializeAsync() => _fake = await Automatic1111Fake.StartAsync();

    public async Task DisposeAsync() => await _fake.DisposeAsync();

    [Fact]
    public async Task Txt2img_is_sent_the_unified_request_with_default_steps_and_cfg_and_no_credentials()
    {
        using var host = Automatic1111TestHost.For(_fake);

        await host.Adapter.GenerateAsync(Automatic1111TestHost.Request(), CancellationToken.None);

        Assert.False(host.Adapter.RequiresCredential);
        var call = Assert.Single(_fake.RequestsTo(Txt2Img));
        Assert.Equal("POST", call.Method);
        Assert.Null(call.Header("Authorization"));
        var body = call.Json();
        Assert.Equal(("a watercolour fox", "blurry"), (body.GetProperty("prompt").GetString(), body.GetProperty("negative_prompt").GetString()));
        Assert.Equal((64, 96, 1234L), (body.GetProperty("width").GetInt32(), body.GetProperty("height").GetInt32(), body.GetProperty("seed").GetInt64()));
        Assert.Equal((1, 1), (body.GetProperty("batch_size").GetInt32(), body.GetProperty("n_iter").GetInt32()));
        Assert.Equal((Automatic1111Adapter.DefaultSteps, Automatic1111Adapter.DefaultCfgScale), (body.GetProperty("steps").GetInt32(), body.GetProperty("cfg_scale").GetDouble()));
        Assert.Equal((true, false), (body.GetProperty("send_images").GetBoolean(), body.GetProperty("save_images").GetBoolean()));
        Assert.False(body.TryGetProperty("sampler_name", out _));
        Assert.False(body.TryGetProperty("init_images", out _));
    }

    [Fact]
    public async Task The_png_comes_back_decoded_at_the_size_asked_as_the_default_model()
    {
        using var host = Automatic1111TestHost.For(_fake);

        var result = await host.Adapter.GenerateAsync(Automatic1111TestHost.Request(), CancellationToken.None);

        Assert.Equal(Automatic1111Adapter.ModelId, result.Model);
        var image = Assert.Single(result.Images);
        Assert.Equal(("image/png", 64, 96), (image.ContentType, image.Width, image.Height));
        Assert.Equal(Automatic1111Fake.Shade(64, 96, 0), await TestImages.ReadAsync(image));
        Assert.Null(result.CostUsd);
    }

    [Fact]
    public async Task A_batch_is_one_call_and_keeps_its_own_images_not_the_grid_the_web_ui_puts_first()
    {
        using var host = Automatic1111TestHost.For(_fake);

        var result = await host.Adapter.GenerateAsync(Automatic1111TestHost.Request(count: 3), CancellationToken.None);

        Assert.Equal(3, Assert.Single(_fake.RequestsTo(Txt2Img)).Json().GetProperty("batch_size").GetInt32());
        Assert.Equal(3, result.Images.Count);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal((64, 96), (result.Images[i].Width, result.Images[i].Height));
            Assert.Equal(Automatic1111Fake.Shade(64, 96, i), await TestImages.ReadAsync(result.Images[i]));
        }
    }

    [Fact]
    public async Task Job_parameters_win_over_the_workers_options_which_win_over_the_defaults()
    {
        using var host = Automatic1111TestHost.For(_fake, new()
        {
            ["Providers:automatic1111:Options:Steps"] = "30",
            ["Providers:automatic1111:Options:CfgScale"] = "5.5",
            ["Providers:automatic1111:Options:Sampler"] = "DPM++ 2M",
        });

        await host.Adapter.GenerateAsync(Automatic1111TestHost.Request(parameters: new() { ["steps"] = "12" }), CancellationToken.None);

        var body = Assert.Single(_fake.RequestsTo(Txt2Img)).Json();
        Assert.Equal((12, 5.5, "DPM++ 2M"), (body.GetProperty("steps").GetInt32(), body.GetProperty("cfg_scale").GetDouble(), body.GetProperty("sampler_name").GetString()));
    }

    [Fact]
    public async Task Behind_api_auth_the_configured_username_and_password_are_sent_as_basic_credentials()
    {
        await using var secured = await Automatic1111Fake.StartAsync(requireAuth: true);
        using var host = Automatic1111TestHost.For(secured, new()
        {
            ["Providers:automatic1111:Options:Username"] = Automatic1111Fake.Username,
            ["Providers:automatic1111:Options:Password"] = Automatic1111Fake.Password,
        });

        var result = await host.Adapter.GenerateAsync(Automatic1111TestHost.Request(), CancellationToken.None);

        Assert.Single(result.Images);
        var expected = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Automatic1111Fake.Username}:{Automatic1111Fake.Password}"));
        Assert.Equal($"Basic {expected}", Assert.Single(secured.RequestsTo(Txt2Img)).Header("Authorization"));
    }

    [Fact]
    public async Task An_input_data_uri_goes_to_img2img_as_it_is_with_the_default_denoising_strength()
    {
        using var host = Automatic1111TestHost.For(_fake);
        var input = $"data:image/png;base64,{Convert.ToBase64String(TestImages.Png(48, 48))}";

        var result = await host.Adapter.GenerateAsync(Automatic1111TestHost.Request(inputImages: [input]), CancellationToken.None);

        Assert.Empty(_fake.RequestsTo(Txt2Img));
        var body = Assert.Single(_fake.RequestsTo(Img2Img)).Json();
        Assert.Equal([input], body.GetProperty("init_images").EnumerateArray().Select(i => i.GetString()));
        Assert.Equal(Automatic1111Adapter.DefaultDenoisingStrength, body.GetProperty("denoising_strength").GetDouble());
        Assert.Equal((64, 96), (Assert.Single(result.Images).Width, result.Images[0].Height));
    }

    [Fact]
    public async Task An_input_url_is_downloaded_here_and_sent_inline_because_the_web_ui_does_not_fetch_urls()
    {
        using var host = Automatic1111TestHost.For(_fake, allowedHosts: [_fake.HostAndPort]);
        var input = _fake.Url("inputs/40x30.png").ToString();

        await host.Adapter.GenerateAsync(
            Automatic1111TestHost.Request(inputImages: [input], parameters: new() { ["denoising_strength"] = "0.4" }), CancellationToken.None);

        Assert.Single(_fake.RequestsTo("/inputs/40x30.png"));
        var body = Assert.Single(_fake.RequestsTo(Img2Img)).Json();
        var sent = Convert.FromBase64String(Assert.Single(body.GetProperty("init_images").EnumerateArray()).GetString()!);
        using var decoded = ImageAssert.Decode(sent);
        Assert.Equal((40, 30), (decoded.Width, decoded.Height));
        Assert.Equal(0.4, body.GetProperty("denoising_strength").GetDouble());
    }

    [Fact]
    public async Task An_input_url_on_a_local_address_is_refused_as_the_callers_mistake_and_nothing_is_generated()
    {
        using var host = Automatic1111TestHost.For(_fake);

        var error = await Assert.ThrowsAsync<ProviderException>(() => host.Adapter.GenerateAsync(
            Automatic1111TestHost.Request(inputImages: [_fake.Url("inputs/40x30.png").ToString()]), CancellationToken.None));

        Assert.Equal((ErrorCodes.InvalidRequest, false), (error.Code, error.Retryable));
        Assert.Contains("Input image 1", error.Message);
        Assert.Empty(_fake.Requests);
    }

    [Fact]
    public async Task An_input_data_uri_that_is_not_an_image_is_an_invalid_request_and_nothing_is_sent()
    {
        using var host = Automatic1111TestHost.For(_fake);
        var input = $"data:image/png;base64,{Convert.ToBase64String(Encoding.UTF8.GetBytes("not a picture at all"))}";

        var error = await Assert.ThrowsAsync<ProviderException>(() => host.Adapter.GenerateAsync(Automatic1111TestHost.Request(inputImages: [input]), CancellationToken.None));

        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
        Assert.Empty(_fake.Requests);
    }
}
