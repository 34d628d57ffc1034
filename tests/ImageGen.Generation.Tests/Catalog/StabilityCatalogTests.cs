using ImageGen.Contracts;
using ImageGen.Generation.Model;
using ImageGen.Generation.Providers;
using ImageGen.Generation.Providers.Catalog;
using ImageGen.Generation.Validation;
using Microsoft.Extensions.Options;

namespace ImageGen.Generation.Tests.Catalog;

public class Describing_the_stability_models
{
    private static readonly string[] Models = ["ultra", "core", "sd3.5-large", "sd3.5-large-turbo", "sd3.5-medium"];

    private static ModelCapabilities Model(string id) => StabilityProvider.Descriptor.FindModel(id)!.Capabilities;

    [Theory]
    [InlineData(1024, 1536, "2:3", true)]
    [InlineData(832, 1248, "2:3", false)]
    [InlineData(1024, 1024, "1:1", false)]
    [InlineData(1344, 756, "16:9", false)]
    [InlineData(1920, 1080, "16:9", true)]
    [InlineData(1512, 648, "21:9", false)]
    [InlineData(756, 1344, "9:16", false)]
    [InlineData(1200, 900, "5:4", true)]
    public void Every_model_gets_the_nearest_aspect_ratio_as_aspect_ratio(int width, int height, string ratio, bool adjusted)
    {
        foreach (var model in Models)
        {
            var choice = Model(model).Sizes.Choose(width, height)!;

            Assert.Equal(("aspect_ratio", ratio), (choice.Parameter!.Value.Key, choice.Parameter.Value.Value));
            Assert.Equal(adjusted, choice.Adjustment is not null);
        }
    }

    [Theory]
    [InlineData("ultra", 0.08)]
    [InlineData("core", 0.03)]
    [InlineData("sd3.5-large", 0.065)]
    [InlineData("sd3.5-large-turbo", 0.04)]
    [InlineData("sd3.5-medium", 0.035)]
    public void Prices_are_the_published_credits_at_one_cent_with_their_source(string model, double perImage)
    {
        var pricing = Model(model).Pricing;

        Assert.Equal((decimal)perImage, pricing.PerImageUsd);
        Assert.True(pricing.PerImageUsd > 0);
        Assert.Contains("https://platform.stability.ai/pricing", pricing.Source);
        Assert.Contains("as of 2026-11", pricing.Source);
        Assert.Equal(3 * (decimal)perImage, pricing.EstimateUsd(1024, 1024, 3));
    }

    [Fact]
    public void Only_ultra_and_core_make_webp()
    {
        Assert.Contains("webp", Model("ultra").OutputFormats);
        Assert.Contains("webp", Model("core").OutputFormats);
        Assert.All(["sd3.5-large", "sd3.5-large-turbo", "sd3.5-medium"], m => Assert.Equal(["png", "jpeg"], Model(m).OutputFormats));
    }

    [Fact]
    public void Seeds_stop_one_short_of_the_largest_32_bit_number_and_negative_prompts_are_taken()
    {
        Assert.All(Models, m =>
        {
            Assert.Equal(4_294_967_294, Model(m).MaxSeed);
            Assert.True(Model(m).SupportsSeed && Model(m).SupportsNegativePrompt);
            Assert.Equal(4, Model(m).MaxImages);
        });
        Assert.Equal("core", StabilityProvider.Descriptor.DefaultModel);
    }

    [Fact]
    public void Through_the_validator_a_portrait_sd35_job_records_the_ratio_and_falls_back_from_webp_with_a_warning()
    {
        Assert.True(ProviderDefinitions.All.Contains(StabilityProvider.Descriptor), "StabilityProvider.Descriptor is not registered in ProviderDefinitions.All yet.");
        var validator = new JobRequestValidator(new ProviderCatalog(new CatalogOptions(), new EveryWorkerRunning()));

        var (job, errors) = validator.Validate(new CreateJobRequest("a lighthouse", Model: "stability/sd3.5-large", Size: "1024x1536", OutputFormat: "webp"));

        Assert.Empty(errors);
        Assert.Equal(("stability", "sd3.5-large"), (job!.Provider.Id, job.Model.Id));
        Assert.Equal("2:3", job.Request.Parameters!["aspect_ratio"]);
        Assert.Equal("png", job.Request.OutputFormat);
        Assert.Contains(job.Request.Warnings!, w => w.StartsWith("size:", StringComparison.Ordinal));
        Assert.Contains(job.Request.Warnings!, w => w.StartsWith("output_format:", StringComparison.Ordinal));
    }

    private sealed class EveryWorkerRunning : IProviderStatusSource
    {
        public IReadOnlyList<ProviderWorkerStatus> Get(string providerId) => [new(providerId, "test", true, DateTimeOffset.UtcNow)];
    }

    private sealed class CatalogOptions : IOptionsMonitor<ProviderCatalogOptions>
    {
        public ProviderCatalogOptions CurrentValue { get; } = new();

        public ProviderCatalogOptions Get(string? name) => CurrentValue;

        public IDisposable? OnChange(Action<ProviderCatalogOptions, string?> listener) => null;
    }
}
