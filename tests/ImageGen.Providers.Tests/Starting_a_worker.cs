using ImageGen.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Tests;

public class Starting_a_worker
{
    [Theory]
    [InlineData("midjourney", "this worker has adapters only for: ")]
    [InlineData("Not A Queue Name", "lowercase letters, digits and dashes")]
    public void A_provider_id_it_cannot_serve_stops_it_from_starting(string providerId, string explanation)
    {
        using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("ConnectionStrings:messaging", TestInfrastructure.RabbitMqFor("providers"));
            b.UseSetting("ConnectionStrings:redis", TestInfrastructure.Redis);
            b.UseSetting("Provider:Id", providerId);
        });

        var error = Assert.Throws<OptionsValidationException>(() => factory.Services);

        Assert.Contains(explanation, error.Message);
    }

    [Theory]
    [InlineData("Providers:builtin:BaseUrl", "ftp://files.example.com", "Providers:builtin:BaseUrl must be an absolute http or https URL")]
    [InlineData("Providers:builtin:Timeout", "00:00:00", "Providers:builtin:Timeout must be positive")]
    [InlineData("Providers:Fetch:MaxBytes", "0", "Providers:Fetch:MaxBytes must be positive")]
    [InlineData("Provider:StatusReportInterval", "00:01:00", "Provider:StatusReportInterval must be positive and at most half")]
    public void A_provider_setting_that_cannot_work_stops_it_from_starting(string key, string value, string explanation)
    {
        using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("ConnectionStrings:messaging", TestInfrastructure.RabbitMqFor("providers"));
            b.UseSetting("ConnectionStrings:redis", TestInfrastructure.Redis);
            b.UseSetting(key, value);
        });

        var error = Assert.Throws<OptionsValidationException>(() => factory.Services);

        Assert.Contains(explanation, error.Message);
    }
}
