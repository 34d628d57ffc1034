using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Replicate;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Adapters.Replicate;

public sealed class Mapping_replicate_errors : IAsyncLifetime
{
    private ReplicateFake _fake = null!;
    private ReplicateTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _fake = await ReplicateFake.StartAsync();
        _host = ReplicateTestHost.For(_fake);
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _fake.DisposeAsync();
    }

    [Theory]
    [InlineData("billing", ErrorCodes.InsufficientCredit, false, "HTTP 402", "insufficient credit to run this model")]
    [InlineData("throttle", ErrorCodes.RateLimited, true, "HTTP 429", "rate limit resets")]
    [InlineData("server-error", ErrorCodes.ProviderUnavailable, true, "HTTP 500", "went wrong on our end")]
    public async Task Each_error_on_submission_maps_to_its_unified_code_keeping_replicates_message(string marker, string code, bool retryable, string context, string said)
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(ReplicateTestHost.Request(prompt: $"a meadow {marker}"), CancellationToken.None));

        Assert.Equal((code, retryable), (error.Code, error.Retryable));
        Assert.StartsWith("Replicate ", error.Message);
        Assert.Contains(context, error.Message);
        Assert.Contains(said, error.Message);
        Assert.DoesNotContain(ReplicateFake.ApiKey, error.Message);
    }

    [Fact]
    public async Task A_rate_limit_carries_the_wait_replicate_gave_in_its_body()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(ReplicateTestHost.Request(prompt: "a meadow throttle"), CancellationToken.None));

        Assert.Equal(TimeSpan.FromSeconds(5), error.RetryAfter);
    }

    [Fact]
    public async Task A_wrong_token_is_an_authentication_failure_and_the_token_is_not_repeated()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(ReplicateTestHost.Request(key: "r8_WrongToken9f8e7d6c5b4a3928"), CancellationToken.None));

        Assert.Equal((ErrorCodes.Authentication, false), (error.Code, error.Retryable));
        Assert.Contains("Unauthenticated", error.Message);
        Assert.DoesNotContain("r8_WrongToken", error.Message);
    }

    [Fact]
    public async Task Input_replicate_refuses_is_an_invalid_request_naming_the_field()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(ReplicateTestHost.Request(parameters: new() { ["aspect_ratio"] = "7:3" }), CancellationToken.None));

        Assert.Equal((ErrorCodes.InvalidRequest, false), (error.Code, error.Retryable));
        Assert.Contains("HTTP 422", error.Message);
        Assert.Contains("Input validation failed", error.Message);
        Assert.Contains("input.aspect_ratio", error.Message);
    }

    [Fact]
    public async Task A_model_replicate_does_not_have_is_an_invalid_request_naming_it()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(ReplicateTestHost.Request(model: "someone/no-such-model"), CancellationToken.None));

        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
        Assert.Contains("no model 'someone/no-such-model'", error.Message);
    }

    [Theory]
    [InlineData("flux-schnell")]
    [InlineData("black-forest-labs/flux-schnell/../../v1/account")]
    public async Task A_model_that_is_not_owner_and_name_is_refused_before_anything_is_sent(string model)
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(ReplicateTestHost.Request(model: model), CancellationToken.None));

        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
        Assert.Empty(_fake.Server.Requests);
    }

    [Fact]
    public async Task Input_images_are_refused_before_anything_is_sent()
    {
        var request = ReplicateTestHost.Request() with { InputImages = ["https://example.com/cat.png"] };

        var error = await Assert.ThrowsAsync<ProviderException>(() => _host.Adapter.SubmitAsync(request, CancellationToken.None));

        Assert.Equal(ErrorCodes.InvalidRequest, error.Code);
        Assert.Empty(_fake.Server.Requests);
    }

    [Fact]
    public async Task A_prediction_failed_for_nsfw_content_within_the_wait_is_a_content_policy_failure()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(ReplicateTestHost.Request(prompt: "a statue nsfw-all", count: 2), CancellationToken.None));

        Assert.Equal((ErrorCodes.ContentPolicy, false), (error.Code, error.Retryable));
        Assert.Contains("NSFW content", error.Message);
    }

    [Fact]
    public async Task A_flux_pro_refusal_with_e005_is_a_content_policy_failure()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.GenerateAsync(ReplicateTestHost.Request(prompt: "a statue odd-seed-flagged", model: ReplicateFake.Pro, seed: 3), CancellationToken.None));

        Assert.Equal(ErrorCodes.ContentPolicy, error.Code);
        Assert.Contains("(E005)", error.Message);
    }

    [Fact]
    public async Task A_prediction_that_crashed_is_a_retryable_failure_found_by_the_poll()
    {
        using var host = ReplicateTestHost.For(_fake, new() { [ReplicateAdapter.PreferWaitOption] = "0" });
        var submission = await host.Adapter.SubmitAsync(ReplicateTestHost.Request(prompt: "a volcano model-crash"), CancellationToken.None);

        var failed = Assert.IsType<ProviderPollResult.Failure>(await host.Adapter.PollAsync(ReplicateTestHost.Poll(submission, 0), CancellationToken.None));

        Assert.Equal((ErrorCodes.ProviderUnavailable, true), (failed.Error.Code, failed.Error.Retryable));
        Assert.Contains("CUDA out of memory", failed.Error.Message);
    }

    [Fact]
    public async Task A_prediction_replicate_no_longer_knows_is_lost_and_retryable_elsewhere()
    {
        var poll = ReplicateTestHost.Poll(ProviderSubmission.Pending("q8n4expired0000000000000000", TimeSpan.Zero), 3);

        var failed = Assert.IsType<ProviderPollResult.Failure>(await _host.Adapter.PollAsync(poll, CancellationToken.None));

        Assert.Equal((ErrorCodes.ProviderUnavailable, true), (failed.Error.Code, failed.Error.Retryable));
        Assert.Contains("no longer knows", failed.Error.Message);
    }

    [Fact]
    public async Task A_poll_with_a_revoked_token_ends_the_attempt_as_an_authentication_failure()
    {
        using var host = ReplicateTestHost.For(_fake, new() { [ReplicateAdapter.PreferWaitOption] = "0" });
        var submission = await host.Adapter.SubmitAsync(ReplicateTestHost.Request(prompt: "a reef never"), CancellationToken.None);

        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            host.Adapter.PollAsync(ReplicateTestHost.Poll(submission, 0, key: "r8_RevokedToken1a2b3c4d5e6f7a8b"), CancellationToken.None));

        Assert.Equal((ErrorCodes.Authentication, false), (error.Code, error.Retryable));
    }
}
