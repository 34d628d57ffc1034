using ImageGen.Generation.Providers;
using ImageGen.Generation.Providers.Catalog;

namespace ImageGen.Generation.Tests.Catalog;

public class Describing_the_workers_ai_models
{
    private static ModelCapabilities Model(string id) => CloudflareProvider.Descriptor.FindModel(id)!.Capabilities;

    [Fact]
    public void Flux_schnell_makes_only_1024_square_so_other_sizes_become_it_with_a_warning()
    {
        var sizes = Model(CloudflareProvider.FluxSchnell).Sizes;

        var portrait = sizes.Choose(1024, 1536)!;
        var square = sizes.Choose(1024, 1024)!;

        Assert.Equal((1024, 1024), (portrait.Width, portrait.Height));
        Assert.Contains("1024x1024", portrait.Adjustment);
        Assert.Null(square.Adjustment);
        Assert.Equal(["1024x1024"], sizes.Enumerate());
    }

    [Fact]
    public void Flux_schnell_takes_no_seed_and_no_negative_prompt_and_prompts_of_at_most_2048_characters()
    {
        var caps = Model(CloudflareProvider.FluxSchnell);

        Assert.Equal((false, false, 2048), (caps.SupportsSeed, caps.SupportsNegativePrompt, caps.MaxPromptLength));
        Assert.Equal(["jpeg"], caps.OutputFormats);
    }

    [Fact]
    public void Stable_diffusion_xl_takes_free_sizes_from_256_to_2048_rounded_to_multiples_of_8()
    {
        var sizes = Model(CloudflareProvider.StableDiffusionXl).Sizes;

        var rounded = sizes.Choose(1001, 777)!;

        Assert.Equal((1000, 776), (rounded.Width, rounded.Height));
        Assert.Null(rounded.Parameter);
        Assert.Null(sizes.Choose(128, 128));
        Assert.Null(sizes.Choose(4096, 1024));
    }

    [Fact]
    public void Flux_schnell_is_priced_by_its_tiles_and_steps_with_the_source()
    {
        var pricing = Model(CloudflareProvider.FluxSchnell).Pricing;

        Assert.Equal(0.0006336m, pricing.PerImageUsd);
        Assert.True(pricing.PerImageUsd > 0);
        Assert.Contains("developers.cloudflare.com/workers-ai/platform/pricing", pricing.Source);
        Assert.Contains("as of 2026-11", pricing.Source);
    }

    [Fact]
    public void Stable_diffusion_xl_costs_nothing_and_says_why()
    {
        var pricing = Model(CloudflareProvider.StableDiffusionXl).Pricing;

        Assert.Equal(0m, pricing.EstimateUsd(1024, 1024, 4));
        Assert.Contains("beta", pricing.Source);
        Assert.Contains("0 neurons", pricing.Source);
    }

    [Fact]
    public void The_provider_needs_a_token_and_defaults_to_flux_schnell()
    {
        Assert.True(CloudflareProvider.Descriptor.RequiresCredential);
        Assert.Equal(CloudflareProvider.FluxSchnell, CloudflareProvider.Descriptor.DefaultModel);
        Assert.All(CloudflareProvider.Descriptor.Models, m => Assert.False(m.Capabilities.SupportsImageInput));
    }
}
