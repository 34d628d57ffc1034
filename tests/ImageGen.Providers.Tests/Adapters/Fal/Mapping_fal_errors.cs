using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Adapters.Fal;

public sealed class Mapping_fal_errors : IAsyncLifetime
{
    private FalFake _fake = null!;
    private FalTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _fake = await FalFake.StartAsync();
        _host = FalTestHost.For(_fake);
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _fake.DisposeAsync();
    }

    [Theory]
    [InlineData("locked", ErrorCodes.InsufficientCredit, false, "HTTP 403", "Exhausted balance")]
    [InlineData("throttle", ErrorCodes.RateLimited, true, "HTTP 429", "Too many concurrent requests")]
    [InlineData("server-error", ErrorCodes.ProviderUnavailable, true, "HTTP 500", "Internal server error")]
    public async Task Each_error_on_submission_maps_to_its_unified_code_keeping_fals_message(string marker, string code, bool retryable, string context, string said)
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(FalTestHost.Request(prompt: $"a meadow {marker}"), CancellationToken.None));

        Assert.Equal((code, retryable), (error.Code, error.Retryable));
        Assert.StartsWith("fal ", error.Message);
        Assert.Contains(context, error.Message);
        Assert.Contains(said, error.Message);
    }

    [Fact]
    public async Task A_rate_limit_carries_the_wait_fal_asked_for()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(FalTestHost.Request(prompt: "a meadow throttle"), CancellationToken.None));

        Assert.Equal(TimeSpan.FromSeconds(9), error.RetryAfter);
    }

    [Fact]
    public async Task A_wrong_key_is_an_authentication_failure_and_the_key_is_not_repeated()
    {
        const string wrong = "5a1e0c3d-wrong-4f2b-8a6c-1d9e7b3f0a25:0c7d9e1f2a3b4c5d";

        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(FalTestHost.Request(key: wrong), CancellationToken.None));

        Assert.Equal((ErrorCodes.Authentication, false), (error.Code, error.Retryable));
        Assert.Contains("No user found", error.Message);
        Assert.DoesNotContain(wrong, error.Message);
        Assert.Equal($"Key {wrong}", _fake.Server.Requests[0].Header("Authorization"));
    }

    [Fact]
    public async Task A_content_refusal_ends_the_request_as_content_policy_with_fals_message()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.GenerateAsync(FalTestHost.Request(prompt: "a garden refuse"), CancellationToken.None));

        Assert.Equal((ErrorCodes.ContentPolicy, false), (error.Code, error.Retryable));
        Assert.Contains("content_policy_violation", error.Message);
        Assert.Contains("flagged by a content checker", error.Message);
    }

    [Fact]
    public async Task A_validation_array_is_an_invalid_request_naming_the_fields()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.GenerateAsync(FalTestHost.Request(width: 20000, height: 1024, imageSize: "20000x1024"), CancellationToken.None));

        Assert.Equal((ErrorCodes.InvalidRequest, false), (error.Code, error.Retryable));
        Assert.Contains("HTTP 422", error.Message);
        Assert.Contains("image_size:", error.Message);
    }

    [Theory]
    [InlineData("runner-down", ErrorCodes.ProviderUnavailable, true, "runner_disconnected")]
    [InlineData("timeout", ErrorCodes.Timeout, true, "request_timeout")]
    public async Task A_request_that_failed_on_fals_platform_is_a_failure_with_the_error_type(string marker, string code, bool retryable, string type)
    {
        var submission = await _host.Adapter.SubmitAsync(FalTestHost.Request(prompt: $"a canyon {marker}"), CancellationToken.None);

        var failed = Assert.IsType<ProviderPollResult.Failure>(await _host.PollUntilDoneAsync(submission));

        Assert.Equal((code, retryable), (failed.Error.Code, failed.Error.Retryable));
        Assert.Contains(type, failed.Error.Message);
    }

    [Fact]
    public async Task Every_image_flagged_by_the_safety_checker_is_a_content_policy_failure_that_was_paid_for()
    {
        var submission = await _host.Adapter.SubmitAsync(FalTestHost.Request(prompt: "a portrait nsfw-all", count: 2), CancellationToken.None);

        var failed = Assert.IsType<ProviderPollResult.Failure>(await _host.PollUntilDoneAsync(submission, estimatedCostUsd: 0.006m));

        Assert.Equal((ErrorCodes.ContentPolicy, false), (failed.Error.Code, failed.Error.Retryable));
        Assert.Contains("all 2 images", failed.Error.Message);
        Assert.Equal(0.006m, failed.Error.CostUsd);
        Assert.DoesNotContain(_fake.Server.Requests, r => r.Path.StartsWith("/files/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_status_fal_cannot_answer_even_after_retries_is_thrown_as_retryable_so_the_request_is_asked_again()
    {
        var submission = await _host.Adapter.SubmitAsync(FalTestHost.Request(prompt: "a bay status-unavailable"), CancellationToken.None);

        var error = await Assert.ThrowsAsync<ProviderException>(() => _host.Adapter.PollAsync(FalTestHost.Poll(submission, 0), CancellationToken.None));

        Assert.Equal((ErrorCodes.ProviderUnavailable, true), (error.Code, error.Retryable));
        Assert.Equal(4, _fake.Server.RequestsTo(FalFake.StatusPath("fal-ai/flux", submission.TaskId!)).Count);
    }

    [Fact]
    public async Task A_request_fal_does_not_know_is_lost_and_retryable_elsewhere()
    {
        var failed = Assert.IsType<ProviderPollResult.Failure>(
            await _host.Adapter.PollAsync(FalTestHost.Poll("9d3e7c1a-0000-4b5e-8f00-unknown", state: null, 2), CancellationToken.None));

        Assert.Equal((ErrorCodes.ProviderUnavailable, true), (failed.Error.Code, failed.Error.Retryable));
        Assert.Contains("does not know", failed.Error.Message);
    }

    [Fact]
    public async Task A_poll_with_a_refused_key_ends_the_attempt_as_an_authentication_failure()
    {
        var submission = await _host.Adapter.SubmitAsync(FalTestHost.Request(), CancellationToken.None);

        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.PollAsync(FalTestHost.Poll(submission, 0, key: "0000-revoked:ffff"), CancellationToken.None));

        Assert.Equal((ErrorCodes.Authentication, false), (error.Code, error.Retryable));
    }

    [Theory]
    [InlineData("../../admin")]
    [InlineData("fal-ai/flux/schnell?x=1")]
    [InlineData("https://elsewhere.example/fal-ai/flux")]
    public async Task A_model_id_that_is_not_a_fal_path_is_refused_before_anything_is_sent(string model)
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(FalTestHost.Request(model: model), CancellationToken.None));

        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
        Assert.Empty(_fake.Server.Requests);
    }

    [Fact]
    public async Task Webp_and_input_images_are_invalid_requests_for_flux_text_to_image()
    {
        var webp = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(FalTestHost.Request(format: ImageOutputFormat.Webp), CancellationToken.None));
        var edit = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(FalTestHost.Request() with { InputImages = ["https://example.com/cat.png"] }, CancellationToken.None));

        Assert.Equal((ErrorCodes.InvalidRequest, ErrorCodes.InvalidRequest), (webp.Code, edit.Code));
        Assert.Contains("png or jpeg", webp.Message);
        Assert.Empty(_fake.Server.Requests);
    }

    [Fact]
    public async Task No_key_at_all_is_an_authentication_failure_without_calling_fal()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(FalTestHost.Request(key: null), CancellationToken.None));

        Assert.Equal(ErrorCodes.Authentication, error.Code);
        Assert.Empty(_fake.Server.Requests);
    }
}
