using System.Text.Json;
using ImageGen.Stats.Tests.Infrastructure;

namespace ImageGen.Stats.Tests;

public sealed class Describing_the_api(StatsServiceFixture service) : IClassFixture<StatsServiceFixture>
{
    [Fact]
    public async Task The_openapi_document_describes_the_stats_query()
    {
        using var document = JsonDocument.Parse(await service.Client.GetStringAsync("/openapi/v1.json"));

        var get = document.RootElement.GetProperty("paths").GetProperty("/v1/stats").GetProperty("get");
        var parameters = get.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()).Order();
        Assert.Equal(["from", "group_by", "owner", "to"], parameters);
        Assert.True(get.GetProperty("responses").TryGetProperty("400", out _), "The 400 problem response is documented.");
    }

    [Fact]
    public async Task The_service_reports_healthy_once_database_and_broker_are_reachable()
    {
        var response = await service.Client.GetAsync("/health");

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
    }
}
