using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ImageGen.ServiceDefaults.Security;
using Npgsql;

namespace ImageGen.Generation.Tests;

[Collection(GenerationServiceCollection.Name)]
public class Bringing_your_own_provider_key(GenerationServiceFixture service)
{
    private const string OwnKey = "sk-caller-own-key-4f1c9d";
    private readonly HttpClient _client = service.CreateClient();

    [Fact]
    public async Task The_key_reaches_the_worker_sealed_to_the_job_and_is_stored_nowhere()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs")
        {
            Content = new StringContent("""{"prompt":"my own key"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Provider-Key", OwnKey);

        var response = await _client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.DoesNotContain(OwnKey, body);
        var jobId = Guid.Parse(JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!);
        await service.WaitForTerminalAsync(_client, $"/v1/jobs/{jobId}");

        var command = service.Commands[jobId];
        Assert.NotNull(command.SealedCredential);
        Assert.DoesNotContain(OwnKey, command.SealedCredential);
        var sealer = new CredentialSealer(GenerationServiceFixture.SealingKey);
        Assert.Equal(OwnKey, sealer.Unseal(command.SealedCredential, jobId, "builtin"));
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => sealer.Unseal(command.SealedCredential, Guid.NewGuid(), "builtin"));

        await using var connection = new NpgsqlConnection(service.DatabaseConnectionString);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand("SELECT count(*) FROM jobs WHERE request::text LIKE $1", connection);
        query.Parameters.AddWithValue($"%{OwnKey}%");
        Assert.Equal(0L, (long)(await query.ExecuteScalarAsync())!);
    }

    [Fact]
    public void A_gateway_without_a_sealing_key_refuses_own_keys_rather_than_sending_them_in_clear()
    {
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Request.Headers["X-Provider-Key"] = OwnKey;

        var (key, problem) = ImageGen.Generation.Apis.JobsApi.ReadOwnKey(context, new CredentialSealer((string?)null));

        Assert.Null(key);
        var result = Assert.IsType<Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult>(problem);
        Assert.Equal(400, result.StatusCode);
        Assert.Contains("Credentials:SealingKey", result.ProblemDetails.Detail);
        Assert.DoesNotContain(OwnKey, result.ProblemDetails.Detail);
    }

    [Fact]
    public async Task Without_the_header_no_sealed_key_travels()
    {
        var response = await _client.PostAsync("/v1/jobs", new StringContent("""{"prompt":"server key"}""", Encoding.UTF8, "application/json"));
        var jobId = Guid.Parse((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
        await service.WaitForTerminalAsync(_client, $"/v1/jobs/{jobId}");

        Assert.Null(service.Commands[jobId].SealedCredential);
    }
}
