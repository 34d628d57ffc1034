using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace ImageGen.Providers.Adapters.Http;

/// <summary>
/// The calls adapters make over a client from <see cref="ProviderHttpClientExtensions.AddProviderHttpClient"/>,
/// with every way they can fail already in the unified vocabulary (<see cref="ProviderException"/>).
/// </summary>
public static class ProviderHttp
{
    /// <summary>snake_case, as most provider APIs speak; nulls left out so optional fields are not sent.</summary>
    public static readonly JsonSerializerOptions SnakeCaseJson = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>camelCase (the web default), for providers such as Google and KIE.</summary>
    public static readonly JsonSerializerOptions CamelCaseJson = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>A request with a JSON body. <paramref name="path"/> is relative to the client's base address, without a leading slash.</summary>
    public static HttpRequestMessage JsonRequest<T>(HttpMethod method, string path, T body, JsonSerializerOptions? json = null) =>
        new(method, path) { Content = JsonContent.Create(body, options: json ?? SnakeCaseJson) };

    /// <summary>Sets <c>Authorization: Bearer {credential}</c>.</summary>
    public static HttpRequestMessage WithBearer(this HttpRequestMessage request, string credential)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        return request;
    }

    /// <summary>
    /// Sends the request; whatever status comes back is returned as it is, but a provider that cannot be
    /// reached or does not answer in time becomes <c>provider_unavailable</c> or <c>timeout</c>.
    /// The caller's own cancellation propagates unchanged. The caller disposes the response.
    /// </summary>
    public static async Task<HttpResponseMessage> SendToProviderAsync(
        this HttpClient client, HttpRequestMessage request, string provider, CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        ArgumentNullException.ThrowIfNull(client);
        try
        {
            return await client.SendAsync(request, completion, cancellationToken);
        }
        catch (Exception ex) when (ProviderErrorMapper.MapTransportFailure(provider, ex, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <summary>
    /// Sends the request and reads a JSON answer; any non-2xx becomes the mapped <see cref="ProviderException"/>
    /// (see <see cref="ProviderErrorMapper"/>), and a body that is not the expected JSON becomes <c>provider_unavailable</c>.
    /// </summary>
    public static async Task<T> SendForJsonAsync<T>(
        this HttpClient client, HttpRequestMessage request, string provider, CancellationToken cancellationToken, JsonSerializerOptions? json = null)
    {
        using var response = await client.SendToProviderAsync(request, provider, cancellationToken);
        await ProviderErrorMapper.EnsureSuccessAsync(response, provider, cancellationToken);
        return await response.ReadJsonAsync<T>(provider, cancellationToken, json);
    }

    /// <summary>Reads a successful response as JSON; a body that does not parse becomes <c>provider_unavailable</c>, never a raw <see cref="JsonException"/>.</summary>
    public static async Task<T> ReadJsonAsync<T>(this HttpResponseMessage response, string provider, CancellationToken cancellationToken, JsonSerializerOptions? json = null)
    {
        ArgumentNullException.ThrowIfNull(response);
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(json ?? SnakeCaseJson, cancellationToken)
                   ?? throw ProviderException.ProviderUnavailable($"{provider} answered with an empty body where a result was expected.");
        }
        catch (JsonException ex)
        {
            throw ProviderException.ProviderUnavailable($"{provider} answered with JSON in a shape this worker does not understand.", innerException: ex);
        }
        catch (Exception ex) when (ProviderErrorMapper.MapTransportFailure(provider, ex, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <summary>Makes relative paths keep the base address's own path: <c>https://host/v1</c> + <c>images</c> is <c>https://host/v1/images</c>.</summary>
    public static Uri WithTrailingSlash(Uri baseAddress)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        return baseAddress.AbsolutePath.EndsWith('/') ? baseAddress : new Uri(baseAddress.GetLeftPart(UriPartial.Path) + "/" + baseAddress.Query);
    }
}
