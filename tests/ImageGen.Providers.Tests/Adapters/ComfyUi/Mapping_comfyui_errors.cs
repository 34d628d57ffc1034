using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Tests.Fakes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ImageGen.Providers.Tests.Adapters.ComfyUi;

public sealed class Mapping_comfyui_errors : IAsyncLifetime
{
    private ComfyUiFake _fake = null!;
    private ComfyUiTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _fake = await ComfyUiFake.StartAsync();
        _host = ComfyUiTestHost.For(_fake);
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _fake.DisposeAsync();
    }

    [Fact]
    public async Task A_checkpoint_the_server_does_not_have_is_an_invalid_request_naming_the_node_and_what_it_has()
    {
        using var host = ComfyUiTestHost.For(_fake, new() { ["Providers:comfyui:Options:Checkpoint"] = "flux1-dev.safetensors" });

        var error = await Assert.ThrowsAsync<ProviderException>(() => host.Adapter.SubmitAsync(ComfyUiTestHost.Request(), CancellationToken.None));

        Assert.Equal((ErrorCodes.InvalidRequest, false), (error.Code, error.Retryable));
        Assert.StartsWith($"ComfyUI at {_fake.Server.BaseAddress} refused the workflow (HTTP 400, prompt_outputs_failed_validation): Prompt outputs failed validation", error.Message);
        Assert.Contains("node 4 (CheckpointLoaderSimple): Value not in list: ckpt_name: 'flux1-dev.safetensors' not in ['sd_xl_base_1.0.safetensors'", error.Message);
    }

    [Fact]
    public async Task A_sampler_parameter_the_server_does_not_know_is_an_invalid_request()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(ComfyUiTestHost.Request(parameters: new() { ["sampler_name"] = "warp_drive" }), CancellationToken.None));

        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
        Assert.Contains("node 3 (KSampler): Value not in list: sampler_name: 'warp_drive'", error.Message);
    }

    [Fact]
    public async Task A_steps_parameter_that_is_not_a_number_is_refused_before_anything_is_sent()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(ComfyUiTestHost.Request(parameters: new() { ["steps"] = "many" }), CancellationToken.None));

        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
        Assert.Contains("steps", error.Message);
        Assert.Empty(_fake.Server.Requests);
    }

    [Fact]
    public async Task A_prompt_queued_with_node_errors_is_taken_off_the_queue_and_refused()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(ComfyUiTestHost.Request(prompt: "a tower partial-errors"), CancellationToken.None));

        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
        Assert.Contains("node 9 (SaveImage): Required input is missing: images", error.Message);
        var delete = Assert.Single(_fake.Server.RequestsTo("/queue"));
        Assert.Equal("POST", delete.Method);
        Assert.Equal(1, delete.Json().GetProperty("delete").GetArrayLength());
    }

    [Theory]
    [InlineData("out-of-memory", "torch.OutOfMemoryError: Allocation on device 0 would exceed allowed memory", "ran out of memory")]
    [InlineData("node-crash", "at node 3 (KSampler): ValueError: Expected the latent to have 4 channels", "failed to run the prompt")]
    [InlineData("interrupted", "interrupted the prompt", "at node 3 (KSampler)")]
    public async Task A_run_that_ends_in_error_is_a_retryable_failure_with_comfyuis_own_words(string marker, string said, string more)
    {
        var submission = await _host.Adapter.SubmitAsync(ComfyUiTestHost.Request(prompt: $"a ship {marker}"), CancellationToken.None);
        await _host.Adapter.PollAsync(ComfyUiTestHost.Poll(submission, 0), CancellationToken.None);

        var failed = Assert.IsType<ProviderPollResult.Failure>(await _host.Adapter.PollAsync(ComfyUiTestHost.Poll(submission, 1), CancellationToken.None));

        Assert.Equal((ErrorCodes.ProviderUnavailable, true), (failed.Error.Code, failed.Error.Retryable));
        Assert.Contains(said, failed.Error.Message);
        Assert.Contains(more, failed.Error.Message);
    }

    [Fact]
    public async Task A_prompt_that_is_neither_queued_running_nor_in_the_history_is_lost()
    {
        var submission = await _host.Adapter.SubmitAsync(ComfyUiTestHost.Request(prompt: "a dune vanish"), CancellationToken.None);

        var failed = Assert.IsType<ProviderPollResult.Failure>(await _host.Adapter.PollAsync(ComfyUiTestHost.Poll(submission, 0), CancellationToken.None));

        Assert.Equal((ErrorCodes.ProviderUnavailable, true), (failed.Error.Code, failed.Error.Retryable));
        Assert.Contains("no longer knows the prompt", failed.Error.Message);
        Assert.Equal(2, _fake.Server.RequestsTo($"/history/{submission.TaskId}").Count);
    }

    [Fact]
    public async Task A_server_error_is_a_retryable_unavailability()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(ComfyUiTestHost.Request(prompt: "a cave server-error"), CancellationToken.None));

        Assert.Equal((ErrorCodes.ProviderUnavailable, true), (error.Code, error.Retryable));
        Assert.Contains("HTTP 500", error.Message);
        Assert.Contains("Server got itself in trouble", error.Message);
    }

    [Fact]
    public async Task A_server_that_is_not_running_is_a_retryable_unavailability_naming_its_address()
    {
        var port = FreePort();
        using var host = ComfyUiTestHost.For(null, baseUrl: $"http://127.0.0.1:{port}/");

        var error = await Assert.ThrowsAsync<ProviderException>(() => host.Adapter.SubmitAsync(ComfyUiTestHost.Request(), CancellationToken.None));

        Assert.Equal((ErrorCodes.ProviderUnavailable, true), (error.Code, error.Retryable));
        Assert.Equal($"ComfyUI at http://127.0.0.1:{port}/ could not be reached (the connection failed).", error.Message);
    }

    [Fact]
    public async Task A_base_url_that_is_not_a_comfyui_server_is_a_retryable_unavailability_saying_so()
    {
        await using var other = await FakeProviderServer.StartAsync(app => app.MapFallback(() => Results.Text("404: Not Found", statusCode: StatusCodes.Status404NotFound)));
        using var host = ComfyUiTestHost.For(null, baseUrl: other.BaseAddress.ToString());

        var error = await Assert.ThrowsAsync<ProviderException>(() => host.Adapter.SubmitAsync(ComfyUiTestHost.Request(), CancellationToken.None));

        Assert.Equal(ErrorCodes.ProviderUnavailable, error.Code);
        Assert.Contains("has no ComfyUI API at /prompt (HTTP 404)", error.Message);
    }

    [Fact]
    public async Task A_proxy_that_wants_credentials_the_worker_lacks_is_an_authentication_failure_saying_what_to_set()
    {
        _fake.RequiredAuthorization = "Bearer proxy-token-5f2a9c";

        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(ComfyUiTestHost.Request(key: "proxy-token-wrong"), CancellationToken.None));

        Assert.Equal((ErrorCodes.Authentication, false), (error.Code, error.Retryable));
        Assert.Contains("HTTP 401", error.Message);
        Assert.Contains("Providers:comfyui:ApiKey", error.Message);
        Assert.DoesNotContain("proxy-token-wrong", error.Message);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
