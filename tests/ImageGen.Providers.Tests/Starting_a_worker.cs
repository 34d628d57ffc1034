using ImageGen.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Options;

namespace ImageGen.Providers.Tests;

public class Starting_a_worker
{
    [Theory]
    [InlineData("openai", "adapters only for: builtin")]
    [InlineData("Not A Queue Name", "lowercase letters, digits and dashes")]
    public void A_provider_id_it_cannot_serve_stops_it_from_starting(string providerId, string explanation)
    {
        using var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("ConnectionStrings:messaging", TestInfrastructure.RabbitMq);
            b.UseSetting("Provider:Id", providerId);
        });

        var error = Assert.Throws<OptionsValidationException>(() => factory.Services);

        Assert.Contains(explanation, error.Message);
    }
}
