using ImageGen.Contracts;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Firefly;
using ImageGen.Providers.Tests.Fakes;

namespace ImageGen.Providers.Tests.Adapters.Firefly;

public sealed class Authenticating_with_adobe_ims : IAsyncLifetime
{
    private FireflyFake _fake = null!;
    private FireflyTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _fake = await FireflyFake.StartAsync();
        _host = FireflyTestHost.For(_fake);
    }

    public async Task DisposeAsync()
    {
        _host.Dispose();
        await _fake.DisposeAsync();
    }

    private IReadOnlyList<ReceivedRequest> TokenRequests => _fake.Server.RequestsTo(FireflyFake.ImsPath);

    [Fact]
    public async Task The_token_is_asked_for_with_a_client_credentials_form_carrying_the_default_firefly_scopes()
    {
        await _host.Adapter.SubmitAsync(FireflyTestHost.Request(), CancellationToken.None);

        var call = Assert.Single(TokenRequests);
        Assert.Equal("POST", call.Method);
        Assert.StartsWith("application/x-www-form-urlencoded", call.Header("Content-Type"));
        var form = Form(call);
        Assert.Equal("client_credentials", form["grant_type"]);
        Assert.Equal(FireflyFake.ClientId, form["client_id"]);
        Assert.Equal(FireflyFake.ClientSecret, form["client_secret"]);
        Assert.Equal(FireflyAdapter.DefaultScopes, form["scope"]);
        Assert.Null(call.Header("x-api-key"));
        // The secret goes to IMS only.
        Assert.All(_fake.Server.Requests.Where(r => r.Path != FireflyFake.ImsPath), r =>
            Assert.DoesNotContain(FireflyFake.ClientSecret, r.BodyText + string.Join(" ", r.Headers.Values)));
    }

    [Fact]
    public async Task One_token_serves_every_call_until_shortly_before_it_expires()
    {
        var submission = await _host.Adapter.SubmitAsync(FireflyTestHost.Request(prompt: "a fjord never"), CancellationToken.None);
        await _host.Adapter.PollAsync(FireflyTestHost.Poll(submission, 0), CancellationToken.None);
        await _host.Adapter.SubmitAsync(FireflyTestHost.Request(), CancellationToken.None);
        Assert.Single(TokenRequests);

        _host.Clock.Advance(TimeSpan.FromSeconds(86399) - ImsTokenCache.RefreshMargin - TimeSpan.FromSeconds(1));
        await _host.Adapter.PollAsync(FireflyTestHost.Poll(submission, 1), CancellationToken.None);
        Assert.Single(TokenRequests);

        _host.Clock.Advance(TimeSpan.FromSeconds(2));
        await _host.Adapter.PollAsync(FireflyTestHost.Poll(submission, 2), CancellationToken.None);
        Assert.Equal(2, TokenRequests.Count);
        var lastPoll = _fake.Server.RequestsTo(FireflyFake.StatusPath(submission.TaskId!))[^1];
        var firstPoll = _fake.Server.RequestsTo(FireflyFake.StatusPath(submission.TaskId!))[0];
        Assert.NotEqual(firstPoll.Header("Authorization"), lastPoll.Header("Authorization"));
    }

    [Fact]
    public async Task A_short_lived_token_is_replaced_halfway_through_its_life()
    {
        _fake.TokenLifetimeSeconds = 60;
        await _host.Adapter.SubmitAsync(FireflyTestHost.Request(), CancellationToken.None);

        _host.Clock.Advance(TimeSpan.FromSeconds(29));
        await _host.Adapter.SubmitAsync(FireflyTestHost.Request(), CancellationToken.None);
        Assert.Single(TokenRequests);

        _host.Clock.Advance(TimeSpan.FromSeconds(2));
        await _host.Adapter.SubmitAsync(FireflyTestHost.Request(), CancellationToken.None);
        Assert.Equal(2, TokenRequests.Count);
    }

    [Fact]
    public async Task A_key_given_as_client_id_and_secret_needs_no_configured_client_id()
    {
        using var host = FireflyTestHost.For(_fake, new() { ["Providers:firefly:Options:ClientId"] = null });

        var result = await host.Adapter.GenerateAsync(
            FireflyTestHost.Request(key: $"{FireflyFake.OtherClientId}:{FireflyFake.OtherClientSecret}"), CancellationToken.None);

        Assert.Single(result.Images);
        Assert.Equal(FireflyFake.OtherClientId, Form(Assert.Single(TokenRequests))["client_id"]);
        Assert.Equal(FireflyFake.OtherClientId, _fake.Server.RequestsTo(FireflyFake.SubmitPath)[0].Header("x-api-key"));
    }

    [Fact]
    public async Task Tokens_are_kept_per_client_so_each_call_presents_its_own_clients_token()
    {
        await _host.Adapter.SubmitAsync(FireflyTestHost.Request(), CancellationToken.None);
        await _host.Adapter.SubmitAsync(FireflyTestHost.Request(key: $"{FireflyFake.OtherClientId}:{FireflyFake.OtherClientSecret}"), CancellationToken.None);
        await _host.Adapter.SubmitAsync(FireflyTestHost.Request(), CancellationToken.None);

        Assert.Equal(2, TokenRequests.Count);
        var submissions = _fake.Server.RequestsTo(FireflyFake.SubmitPath);
        Assert.Equal([FireflyFake.ClientId, FireflyFake.OtherClientId, FireflyFake.ClientId], submissions.Select(s => s.Header("x-api-key")));
        Assert.All(submissions, s => Assert.Equal(s.Header("x-api-key"), _fake.ClientOfToken(s.Header("Authorization")!["Bearer ".Length..])));
    }

    [Fact]
    public async Task A_wrong_secret_for_a_client_with_a_cached_token_does_not_borrow_that_token()
    {
        await _host.Adapter.SubmitAsync(FireflyTestHost.Request(), CancellationToken.None);

        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(FireflyTestHost.Request(key: $"{FireflyFake.ClientId}:p8e-NotTheRightSecret-123"), CancellationToken.None));

        Assert.Equal((ErrorCodes.Authentication, false), (error.Code, error.Retryable));
        Assert.StartsWith("Adobe IMS refused the Firefly client credentials (HTTP 401, invalid_client): invalid client_secret parameter", error.Message);
        Assert.DoesNotContain("NotTheRightSecret", error.Message);
        Assert.Equal(2, TokenRequests.Count);
        Assert.Single(_fake.Server.RequestsTo(FireflyFake.SubmitPath));
    }

    [Fact]
    public async Task An_unknown_client_id_is_an_authentication_failure()
    {
        var error = await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(FireflyTestHost.Request(key: "0000aaaa1111bbbb2222cccc3333dddd:p8e-Whatever-9"), CancellationToken.None));

        Assert.Equal(ErrorCodes.Authentication, error.Code);
        Assert.Contains("invalid client_id parameter", error.Message);
        Assert.Empty(_fake.Server.RequestsTo(FireflyFake.SubmitPath));
    }

    [Fact]
    public async Task A_token_firefly_stops_accepting_is_replaced_once_and_the_call_made_again()
    {
        var submission = await _host.Adapter.SubmitAsync(FireflyTestHost.Request(), CancellationToken.None);
        _fake.RevokeTokens();

        var verdict = await _host.Adapter.PollAsync(FireflyTestHost.Poll(submission, 0), CancellationToken.None);

        Assert.IsType<ProviderPollResult.StillRunning>(verdict);
        Assert.Equal(2, TokenRequests.Count);
        var polls = _fake.Server.RequestsTo(FireflyFake.StatusPath(submission.TaskId!));
        Assert.Equal(2, polls.Count);
        Assert.NotEqual(polls[0].Header("Authorization"), polls[1].Header("Authorization"));
    }

    [Fact]
    public async Task A_submission_refused_for_an_expired_token_is_sent_again_with_a_new_one_and_makes_one_job()
    {
        await _host.Adapter.SubmitAsync(FireflyTestHost.Request(), CancellationToken.None);
        _fake.RevokeTokens();

        var submission = await _host.Adapter.SubmitAsync(FireflyTestHost.Request(prompt: "a second lighthouse"), CancellationToken.None);

        Assert.StartsWith("urn:ff:jobs:", submission.TaskId);
        Assert.Equal(3, _fake.Server.RequestsTo(FireflyFake.SubmitPath).Count);
        Assert.Equal(2, TokenRequests.Count);
    }

    [Fact]
    public async Task A_token_refused_again_after_the_refresh_is_an_authentication_failure()
    {
        _fake.RefuseEveryToken = true;

        var error = await Assert.ThrowsAsync<ProviderException>(() => _host.Adapter.SubmitAsync(FireflyTestHost.Request(), CancellationToken.None));

        Assert.Equal((ErrorCodes.Authentication, false), (error.Code, error.Retryable));
        Assert.Contains("HTTP 401, 401013", error.Message);
        Assert.Contains("Oauth token is not valid", error.Message);
        Assert.Equal(2, TokenRequests.Count);
        Assert.Equal(2, _fake.Server.RequestsTo(FireflyFake.SubmitPath).Count);
    }

    [Fact]
    public async Task A_bare_secret_without_a_configured_client_id_is_refused_before_anything_is_sent()
    {
        using var host = FireflyTestHost.For(_fake, new() { ["Providers:firefly:Options:ClientId"] = null });

        var error = await Assert.ThrowsAsync<ProviderException>(() => host.Adapter.SubmitAsync(FireflyTestHost.Request(), CancellationToken.None));

        Assert.Equal(ErrorCodes.Authentication, error.Code);
        Assert.Contains("Providers:firefly:Options:ClientId", error.Message);
        Assert.Contains("client_id:client_secret", error.Message);
        Assert.DoesNotContain(FireflyFake.ClientSecret, error.Message);
        Assert.Empty(_fake.Server.Requests);
    }

    [Fact]
    public async Task Scopes_come_from_configuration_and_a_scope_ims_refuses_says_where_to_change_them()
    {
        using var narrow = FireflyTestHost.For(_fake, new() { ["Providers:firefly:Options:Scopes"] = "openid,AdobeID,firefly_api,ff_apis" });
        await narrow.Adapter.SubmitAsync(FireflyTestHost.Request(), CancellationToken.None);
        Assert.Equal("openid,AdobeID,firefly_api,ff_apis", Form(Assert.Single(TokenRequests))["scope"]);

        using var wrong = FireflyTestHost.For(_fake, new() { ["Providers:firefly:Options:Scopes"] = "openid,firefly_everything" });
        var error = await Assert.ThrowsAsync<ProviderException>(() => wrong.Adapter.SubmitAsync(FireflyTestHost.Request(), CancellationToken.None));

        Assert.Equal(ErrorCodes.Authentication, error.Code);
        Assert.Contains("invalid_scope", error.Message);
        Assert.Contains("Providers:firefly:Options:Scopes", error.Message);
    }

    [Fact]
    public async Task Ims_being_down_is_a_retryable_unavailability()
    {
        _fake.ImsUnavailable = true;

        var error = await Assert.ThrowsAsync<ProviderException>(() => _host.Adapter.SubmitAsync(FireflyTestHost.Request(), CancellationToken.None));

        Assert.Equal((ErrorCodes.ProviderUnavailable, true), (error.Code, error.Retryable));
        Assert.StartsWith("Adobe IMS is unavailable (HTTP 503)", error.Message);
        Assert.Empty(_fake.Server.RequestsTo(FireflyFake.SubmitPath));
    }

    [Fact]
    public async Task Neither_the_secret_nor_the_token_reaches_a_log_line()
    {
        await _host.Adapter.GenerateAsync(FireflyTestHost.Request(), CancellationToken.None);
        await Assert.ThrowsAsync<ProviderException>(() =>
            _host.Adapter.SubmitAsync(FireflyTestHost.Request(key: $"{FireflyFake.ClientId}:p8e-NotTheRightSecret-123"), CancellationToken.None));

        var token = _fake.Server.RequestsTo(FireflyFake.SubmitPath)[0].Header("Authorization")!["Bearer ".Length..];
        Assert.NotEmpty(_host.Logs.Lines);
        Assert.All(_host.Logs.Lines, line =>
        {
            Assert.DoesNotContain(FireflyFake.ClientSecret, line.Everything);
            Assert.DoesNotContain("NotTheRightSecret", line.Everything);
            Assert.DoesNotContain(token, line.Everything);
        });
    }

    [Fact]
    public void The_credential_prints_without_its_secret()
    {
        var credential = FireflyCredential.Parse($"{FireflyFake.ClientId}:{FireflyFake.ClientSecret}", null);

        Assert.Equal((FireflyFake.ClientId, FireflyFake.ClientSecret), (credential.ClientId, credential.ClientSecret));
        Assert.DoesNotContain(FireflyFake.ClientSecret, credential.ToString());
    }

    private static Dictionary<string, string> Form(ReceivedRequest request) =>
        request.BodyText.Split('&').Select(p => p.Split('=', 2)).ToDictionary(p => Uri.UnescapeDataString(p[0]), p => Uri.UnescapeDataString(p[1].Replace('+', ' ')));
}
