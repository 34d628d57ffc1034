using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Adapters.Unsplash;

public sealed class Mapping_unsplash_errors : IAsyncLifetime
{
    private UnsplashAdapterHost _unsplash = null!;

    public async Task InitializeAsync() => _unsplash = await UnsplashAdapterHost.StartAsync();

    public async Task DisposeAsync() => await _unsplash.DisposeAsync();

    [Fact]
    public async Task A_query_no_photo_matches_is_an_invalid_request_naming_the_query()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() => _unsplash.GenerateAsync(UnsplashAdapterHost.Request("nothing-matches zebra in a teacup")));

        Assert.Equal((ErrorCodes.InvalidRequest, false), (error.Code, error.Retryable));
        Assert.Contains("No stock photo matches \"nothing-matches zebra in a teacup\"", error.Message);
        Assert.Contains("No photos found.", error.Message);
        Assert.Empty(_unsplash.Downloads);
    }

    [Fact]
    public async Task A_wrong_key_is_an_authentication_failure_that_never_shows_the_key()
    {
        const string wrongKey = "Wr0ngKeyWr0ngKeyWr0ngKeyWr0ngKeyWr0ngKey123";

        var error = await Assert.ThrowsAsync<ProviderException>(() => _unsplash.GenerateAsync(UnsplashAdapterHost.Request("harbour", key: wrongKey)));

        Assert.Equal((ErrorCodes.Authentication, false), (error.Code, error.Retryable));
        Assert.Contains("The access token is invalid", error.Message);
        Assert.DoesNotContain(wrongKey, error.Message);
    }

    [Fact]
    public async Task The_plain_text_403_rate_limit_is_a_retryable_rate_limit()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() => _unsplash.GenerateAsync(UnsplashAdapterHost.Request("rate-limit harbour")));

        Assert.Equal((ErrorCodes.RateLimited, true), (error.Code, error.Retryable));
        Assert.Contains("Rate Limit Exceeded", error.Message);
    }

    [Fact]
    public async Task Any_other_403_is_an_authentication_failure()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() => _unsplash.GenerateAsync(UnsplashAdapterHost.Request("suspended harbour")));

        Assert.Equal(ErrorCodes.Authentication, error.Code);
        Assert.Contains("has been suspended", error.Message);
    }

    [Fact]
    public async Task An_outage_is_a_retryable_provider_unavailable()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() => _unsplash.GenerateAsync(UnsplashAdapterHost.Request("outage harbour")));

        Assert.Equal((ErrorCodes.ProviderUnavailable, true), (error.Code, error.Retryable));
        Assert.Contains("HTTP 503", error.Message);
    }

    [Fact]
    public async Task Without_a_key_unsplash_is_not_called()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() => _unsplash.GenerateAsync(UnsplashAdapterHost.Request("harbour", key: null)));

        Assert.Equal(ErrorCodes.Authentication, error.Code);
        Assert.Empty(_unsplash.Server.Requests);
    }
}
