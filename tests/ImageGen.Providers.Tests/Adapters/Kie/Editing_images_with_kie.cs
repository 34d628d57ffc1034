using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Adapters.Kie;

public sealed class Editing_images_with_kie : IAsyncLifetime
{
    private KieFake _fake = null!;
    private KieTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _fake = await KieFake.StartAsync();
        _host = KieTestHost.For(_fake, new() { ["Providers:kie:Options:SafetyTolerance"] = "6" });
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _fake.DisposeAsync();
    }

    [Fact]
    public async Task An_https_input_image_is_sent_as_it_is_with_the_safety_tolerance_capped_for_editing()
    {
        await _host.Adapter.SubmitAsync(
            KieTestHost.Request(prompt: "make the sky stormy", inputImages: "https://images.example.test/photos/harbour.jpg?v=2"), CancellationToken.None);

        var body = _fake.Server.RequestsTo(KieFake.GeneratePath)[0].Json();
        Assert.Equal("https://images.example.test/photos/harbour.jpg?v=2", body.GetProperty("inputImage").GetString());
        Assert.Equal(2, body.GetProperty("safetyTolerance").GetInt32());
        Assert.Empty(_fake.Server.RequestsTo(KieFake.UploadPath));
    }

    [Fact]
    public async Task A_data_uri_is_uploaded_to_kies_file_store_first_and_its_download_url_edited()
    {
        var png = TestImages.Png(640, 480);
        var dataUri = $"data:image/png;base64,{Convert.ToBase64String(png)}";

        var result = await _host.Adapter.GenerateAsync(
            KieTestHost.Request(prompt: "add a red umbrella", aspectRatio: null, inputImages: dataUri), CancellationToken.None);

        var upload = Assert.Single(_fake.Server.RequestsTo(KieFake.UploadPath));
        Assert.Equal(("POST", $"Bearer {KieFake.ApiKey}"), (upload.Method, upload.Header("Authorization")));
        var uploaded = upload.Json();
        Assert.Equal(dataUri, uploaded.GetProperty("base64Data").GetString());
        Assert.EndsWith(".png", uploaded.GetProperty("fileName").GetString());
        var generate = _fake.Server.RequestsTo(KieFake.GeneratePath)[0].Json();
        Assert.StartsWith(_fake.Server.BaseAddress.AbsoluteUri + "files/", generate.GetProperty("inputImage").GetString());
        // Editing without a ratio keeps the input image's shape.
        Assert.False(generate.TryGetProperty("aspectRatio", out _));
        Assert.Equal((640, 480), (result.Images[0].Width, result.Images[0].Height));
    }

    [Fact]
    public async Task A_data_uri_that_holds_no_image_is_an_invalid_request_and_nothing_is_uploaded()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() => _host.Adapter.SubmitAsync(
            KieTestHost.Request(inputImages: "data:image/png;base64,SGVsbG8sIG5vdCBhbiBpbWFnZQ=="), CancellationToken.None));

        Assert.Equal((ErrorCodes.InvalidRequest, false), (error.Code, error.Retryable));
        Assert.Empty(_fake.Server.Requests);
    }

    [Fact]
    public async Task More_than_one_input_image_or_one_that_is_no_url_is_an_invalid_request()
    {
        var two = await Assert.ThrowsAsync<ProviderException>(() => _host.Adapter.SubmitAsync(
            KieTestHost.Request(inputImages: ["https://a.example.test/1.png", "https://a.example.test/2.png"]), CancellationToken.None));
        var ftp = await Assert.ThrowsAsync<ProviderException>(() => _host.Adapter.SubmitAsync(
            KieTestHost.Request(inputImages: "ftp://a.example.test/1.png"), CancellationToken.None));

        Assert.Equal((ErrorCodes.InvalidRequest, ErrorCodes.InvalidRequest), (two.Code, ftp.Code));
        Assert.Contains("one image at a time", two.Message);
        Assert.Empty(_fake.Server.Requests);
    }
}
