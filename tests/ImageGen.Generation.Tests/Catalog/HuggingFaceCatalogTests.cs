using ImageGen.Contracts;
using ImageGen.Generation.Model;
using ImageGen.Generation.Providers;
using ImageGen.Generation.Providers.Catalog;
using ImageGen.Generation.Validation;
using Microsoft.Extensions.Options;

namespace ImageGen.Generation.Tests.Catalog;

public class Describing_the_hugging_face_models
{
    private static readonly string[] Models = [HuggingFaceProvider.FluxSchnell, HuggingFaceProvider.StableDiffusionXl];

    private readonly JobRequestValidator _validator = new(new ProviderCatalog(new CatalogOptions(), new EveryWorkerRunning()));

    private static ModelCapabilities Model(string id) => HuggingFaceProvider.Descriptor.FindModel(id)!.Capabilities;

    [Theory]
    [InlineData(1024, 1536, 1024, 1536, false)]
    [InlineData(256, 256, 256, 256, false)]
    [InlineData(1001, 777, 1000, 776, true)]
    [InlineData(1536, 1532, 1536, 1536, true)]
    public void Sizes_are_pixels_in_the_body_rounded_to_multiples_of_8_with_no_size_parameter(int width, int height, int sentWidth, int sentHeight, bool adjusted)
    {
        foreach (var model in Models)
        {
            var choice = Model(model).Sizes.Choose(width, height)!;

            Assert.Equal((sentWidth, sentHeight), (choice.Width, choice.Height));
            Assert.Null(choice.Parameter);
            Assert.Equal(adjusted, choice.Adjustment is not null);
        }
    }

    [Theory]
    [InlineData(2048, 1024)]
    [InlineData(1024, 200)]
    public void Sizes_outside_256_to_1536_cannot_be_made(int width, int height)
    {
        Assert.All(Models, m => Assert.Null(Model(m).Sizes.Choose(width, height)));
    }

    [Fact]
    public void Prices_are_positive_per_image_estimates_and_say_so()
    {
        Assert.All(Models, m =>
        {
            var pricing = Model(m).Pricing;
            Assert.True(pricing.PerImageUsd > 0);
            Assert.StartsWith("Estimate:", pricing.Source, StringComparison.Ordinal);
            Assert.Contains("https://huggingface.co/docs/inference-providers/pricing", pricing.Source);
            Assert.Contains("as of 2026-11", pricing.Source);
        });
    }

    [Fact]
    public void Flux_schnell_is_the_default_and_takes_no_negative_prompt_while_sdxl_does()
    {
        Assert.Equal(HuggingFaceProvider.FluxSchnell, HuggingFaceProvider.Descriptor.DefaultModel);
        Assert.False(Model(HuggingFaceProvider.FluxSchnell).SupportsNegativePrompt);
        Assert.True(Model(HuggingFaceProvider.StableDiffusionXl).SupportsNegativePrompt);
    }

    [Theory]
    [InlineData("black-forest-labs/FLUX.1-schnell")]
    [InlineData("BLACK-FOREST-LABS/flux.1-schnell")]
    [InlineData("stabilityai/stable-diffusion-xl-base-1.0")]
    public void Model_ids_with_a_slash_are_found_whatever_their_case(string id)
    {
        Assert.NotNull(HuggingFaceProvider.Descriptor.FindModel(id));
    }

    [Theory]
    [InlineData(null, "huggingface/black-forest-labs/FLUX.1-schnell", HuggingFaceProvider.FluxSchnell)]
    [InlineData(null, "huggingface/stabilityai/stable-diffusion-xl-base-1.0", HuggingFaceProvider.StableDiffusionXl)]
    [InlineData("huggingface", "stabilityai/stable-diffusion-xl-base-1.0", HuggingFaceProvider.StableDiffusionXl)]
    [InlineData(null, "huggingface", HuggingFaceProvider.FluxSchnell)]
    public void Through_the_validator_provider_slash_model_splits_at_the_first_slash_only(string? provider, string model, string resolved)
    {
        Assert.True(ProviderDefinitions.All.Contains(HuggingFaceProvider.Descriptor), "HuggingFaceProvider.Descriptor is not registered in ProviderDefinitions.All yet.");

        var (job, errors) = _validator.Validate(new CreateJobRequest("a red fox", Provider: provider, Model: model, Size: "1001x777"));

        Assert.Empty(errors);
        Assert.Equal((HuggingFaceProvider.Id, resolved), (job!.Provider.Id, job.Model.Id));
        Assert.Equal((1000, 776), (job.Request.Width, job.Request.Height));
        Assert.Empty(job.Request.Parameters!);
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
