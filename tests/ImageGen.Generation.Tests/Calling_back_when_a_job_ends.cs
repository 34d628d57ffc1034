using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ImageGen.Generation.Tests;

/// <summary><c>callback_url</c>: a signed POST of the finished job, retried until the receiver takes it, each try on the job.</summary>
[Collection(GenerationServiceCollection.Name)]
public class Calling_back_when_a_job_ends(GenerationServiceFixture service) : IAsyncLifetime
{
    private readonly HttpClient _client = service.CreateClient();
    private readonly ConcurrentQueue<(string Body, Dictionary<string, string> Headers)> _received = new();
    private WebApplication _receiver = null!;
    private int _calls;
    private string _url = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _receiver = builder.Build();
        // The first call of every test is refused, as a receiver that is briefly down would.
        _receiver.MapPost("/hooks", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            // A copy: the server reuses a request's header collection once it has answered.
            _received.Enqueue((await reader.ReadToEndAsync(), context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
            return Interlocked.Increment(ref _calls) == 1 ? Results.StatusCode(500) : Results.NoContent();
        });
        await _receiver.StartAsync();
        _url = _receiver.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/hooks";
    }

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task A_finished_job_is_posted_signed_to_its_callback_url_and_retried_until_the_receiver_takes_it()
    {
        var id = await SubmitAsync($"a callback {Guid.NewGuid():N}");

        var job = await WaitForCallbackAsync(id, "delivered");

        var callback = job.GetProperty("callback");
        Assert.Equal(_url, callback.GetProperty("url").GetString());
        Assert.Equal("job.succeeded", callback.GetProperty("event").GetString());
        Assert.Equal(2, callback.GetProperty("attempts").GetInt32());
        Assert.Equal([500, 204], callback.GetProperty("deliveries").EnumerateArray().Select(d => d.GetProperty("status_code").GetInt32()));
        var (body, headers) = _received.Last();
        Assert.Equal("job.succeeded", headers["ImageGen-Event"]);
        var signature = headers["ImageGen-Signature"].Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(GenerationServiceFixture.CallbackSecret), Encoding.UTF8.GetBytes($"{signature["t"]}.{body}")));
        Assert.Equal(expected, signature["v1"]);
        Assert.True(Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - long.Parse(signature["t"], System.Globalization.CultureInfo.InvariantCulture)) < 60);
        using var payload = JsonDocument.Parse(body);
        Assert.Equal(id.ToString(), payload.RootElement.GetProperty("job").GetProperty("id").GetString());
        Assert.Equal("succeeded", payload.RootElement.GetProperty("job").GetProperty("status").GetString());
        Assert.StartsWith("http://localhost/files/", payload.RootElement.GetProperty("job").GetProperty("images")[0].GetProperty("url").GetString());
        Assert.NotEqual(_received.First().Headers["ImageGen-Delivery"], headers["ImageGen-Delivery"]);
    }

    [Fact]
    public async Task A_job_waiting_to_end_shows_its_callback_as_waiting_and_a_failed_job_calls_back_with_job_failed()
    {
        var response = await _client.PostAsync("/v1/jobs", Json(new { prompt = $"fail:content_policy {Guid.NewGuid():N}", callback_url = _url }));
        var accepted = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("waiting_for_job", accepted.GetProperty("callback").GetProperty("status").GetString());

        var job = await WaitForCallbackAsync(Guid.Parse(accepted.GetProperty("id").GetString()!), "delivered");

        Assert.Equal("job.failed", job.GetProperty("callback").GetProperty("event").GetString());
    }

    [Theory]
    [InlineData("ftp://example.com/hook")]
    [InlineData("not a url")]
    [InlineData("https://user:secret@example.com/hook")]
    public async Task A_callback_url_that_is_not_a_plain_https_address_is_refused(string url)
    {
        var response = await _client.PostAsync("/v1/jobs", Json(new { prompt = "x", callback_url = url }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("absolute https URL", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("callback_url")[0].GetString());
    }

    private async Task<Guid> SubmitAsync(string prompt)
    {
        var response = await _client.PostAsync("/v1/jobs", Json(new { prompt, callback_url = _url }));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return Guid.Parse((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
    }

    private async Task<JsonElement> WaitForCallbackAsync(Guid id, string status)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var job = await _client.GetFromJsonAsync<JsonElement>($"/v1/jobs/{id}");
            if (job.TryGetProperty("callback", out var callback) && callback.GetProperty("status").GetString() == status)
            {
                return job;
            }

            Assert.True(DateTime.UtcNow < deadline, $"The callback of job {id} did not reach '{status}': {job}");
            await Task.Delay(200);
        }
    }

    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
}
