using System.Net;
using System.Net.Sockets;
using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Adapters.Automatic1111;

public sealed class Mapping_automatic1111_errors : IAsyncLifetime
{
    private FakeProviderServer _fake = null!;

    public async Task InitializeAsync() => _fake = await Automatic1111Fake.StartAsync();

    public async Task DisposeAsync() => await _fake.DisposeAsync();

    private static Task<ProviderException> Fail(Automatic1111TestHost host, ProviderRequest request) =>
        Assert.ThrowsAsync<ProviderException>(() => host.Adapter.GenerateAsync(request, CancellationToken.None));

    [Fact]
    public async Task A_fastapi_validation_error_is_an_invalid_request_naming_the_field()
    {
        using var host = Automatic1111TestHost.For(_fake);

        var error = await Fail(host, Automatic1111TestHost.Request(prompt: "a fox reject-422"));

        Assert.Equal((ErrorCodes.InvalidRequest, false), (error.Code, error.Retryable));
        Assert.Contains("HTTP 422", error.Message);
        Assert.Contains("prompt: ensure this value has at most 75 tokens", error.Message);
    }

    [Fact]
    public async Task A_crash_on_the_server_is_provider_unavailable_with_the_exception_it_reports()
    {
        using var host = Automatic1111TestHost.For(_fake);

        var error = await Fail(host, Automatic1111TestHost.Request(prompt: "a fox out-of-memory", width: 2048, height: 2048));

        Assert.Equal((ErrorCodes.ProviderUnavailable, true), (error.Code, error.Retryable));
        Assert.Contains("HTTP 500", error.Message);
        Assert.Contains("OutOfMemoryError: CUDA out of memory", error.Message);
    }

    [Fact]
    public async Task A_sampler_the_server_does_not_have_is_an_invalid_request()
    {
        using var host = Automatic1111TestHost.For(_fake, new() { ["Providers:automatic1111:Options:Sampler"] = "Imaginary++ 3M" });

        var error = await Fail(host, Automatic1111TestHost.Request());

        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
        Assert.Contains("Sampler not found", error.Message);
    }

    [Fact]
    public async Task A_wrong_password_is_an_authentication_failure_that_names_the_settings_and_not_the_password()
    {
        await using var secured = await Automatic1111Fake.StartAsync(requireAuth: true);
        using var host = Automatic1111TestHost.For(secured, new()
        {
            ["Providers:automatic1111:Options:Username"] = Automatic1111Fake.Username,
            ["Providers:automatic1111:Options:Password"] = "guessed-wrong-42",
        });

        var error = await Fail(host, Automatic1111TestHost.Request());

        Assert.Equal((ErrorCodes.Authentication, false), (error.Code, error.Retryable));
        Assert.Contains("Incorrect username or password", error.Message);
        Assert.Contains("Providers:automatic1111:Options:Username", error.Message);
        Assert.DoesNotContain("guessed-wrong-42", error.Message);
    }

    [Fact]
    public async Task A_web_ui_started_without_the_api_is_unavailable_with_a_message_that_says_to_add_it()
    {
        await using var withoutApi = await Automatic1111Fake.StartWithoutApiAsync();
        using var host = Automatic1111TestHost.For(withoutApi);

        var error = await Fail(host, Automatic1111TestHost.Request());

        Assert.Equal(ErrorCodes.ProviderUnavailable, error.Code);
        Assert.Contains("--api", error.Message);
        Assert.Contains(withoutApi.BaseAddress.ToString(), error.Message);
    }

    [Fact]
    public async Task A_server_that_is_not_running_is_unavailable_with_a_message_naming_the_configured_base_url()
    {
        var port = ClosedPort();
        using var host = Automatic1111TestHost.For(null, baseUrl: $"http://127.0.0.1:{port}/");

        var error = await Fail(host, Automatic1111TestHost.Request());

        Assert.Equal((ErrorCodes.ProviderUnavailable, true), (error.Code, error.Retryable));
        Assert.Contains($"Automatic1111 at http://127.0.0.1:{port}/ could not be reached", error.Message);
    }

    [Fact]
    public async Task Credentials_written_into_the_base_url_never_appear_in_the_message()
    {
        var port = ClosedPort();
        using var host = Automatic1111TestHost.For(null, baseUrl: $"http://painter:hunter2-secret@127.0.0.1:{port}/");

        var error = await Fail(host, Automatic1111TestHost.Request());

        Assert.Contains($"127.0.0.1:{port}", error.Message);
        Assert.DoesNotContain("hunter2-secret", error.Message);
    }

    // A port that was free a moment ago and has nothing listening on it now.
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
