using ImageGen.Generation.Providers;
using ImageGen.Generation.Providers.Catalog;

namespace ImageGen.Generation.Tests.Catalog;

public class Describing_the_automatic1111_provider
{
    private static ModelCapabilities Default => Automatic1111Provider.Descriptor.FindModel(Automatic1111Provider.ModelId)!.Capabilities;

    [Fact]
    public void Its_one_model_is_the_loaded_checkpoint_called_default_and_it_needs_no_key()
    {
        Assert.Equal("automatic1111", Automatic1111Provider.Descriptor.Id);
        Assert.Equal("default", Assert.Single(Automatic1111Provider.Descriptor.Models).Id);
        Assert.Equal("default", Automatic1111Provider.Descriptor.DefaultModel);
        Assert.False(Automatic1111Provider.Descriptor.RequiresCredential);
    }

    [Fact]
    public void Sizes_from_64_to_2048_are_rounded_to_multiples_of_8_and_sent_as_width_and_height()
    {
        var rounded = Default.Sizes.Choose(1001, 777)!;

        Assert.Equal((1000, 776), (rounded.Width, rounded.Height));
        Assert.Null(rounded.Parameter);
        Assert.Contains("multiples of 8", rounded.Adjustment);
        Assert.Null(Default.Sizes.Choose(4096, 4096));
    }

    [Fact]
    public void It_takes_a_seed_a_negative_prompt_and_input_images_and_makes_png()
    {
        Assert.Equal((true, true, true), (Default.SupportsSeed, Default.SupportsNegativePrompt, Default.SupportsImageInput));
        Assert.Equal(["png"], Default.OutputFormats);
        Assert.Equal((512, 512), (Default.DefaultWidth, Default.DefaultHeight));
    }

    [Fact]
    public void It_costs_nothing_per_image_because_it_is_self_hosted()
    {
        Assert.Equal(0m, Default.Pricing.EstimateUsd(2048, 2048, 4));
        Assert.StartsWith("Self-hosted", Default.Pricing.Source);
    }
}
