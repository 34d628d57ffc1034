using ImageGen.Generation.Providers;
using ImageGen.Generation.Providers.Catalog;

namespace ImageGen.Generation.Tests.Catalog;

public class Describing_the_comfyui_provider
{
    private static ModelCapabilities Workflow => ComfyUiProvider.Descriptor.FindModel(ComfyUiProvider.ModelId)!.Capabilities;

    [Fact]
    public void Its_one_model_is_the_configured_workflow_and_it_needs_no_key()
    {
        Assert.Equal("comfyui", ComfyUiProvider.Descriptor.Id);
        Assert.Equal("workflow", Assert.Single(ComfyUiProvider.Descriptor.Models).Id);
        Assert.Equal("workflow", ComfyUiProvider.Descriptor.DefaultModel);
        Assert.False(ComfyUiProvider.Descriptor.RequiresCredential);
    }

    [Fact]
    public void Sizes_from_64_to_4096_are_rounded_to_multiples_of_8_and_sent_as_width_and_height()
    {
        var rounded = Workflow.Sizes.Choose(1001, 1530)!;

        Assert.Equal((1000, 1528), (rounded.Width, rounded.Height));
        Assert.Null(rounded.Parameter);
        Assert.Contains("multiples of 8", rounded.Adjustment);
        Assert.Null(Workflow.Sizes.Choose(1024, 1536)!.Adjustment);
        Assert.Null(Workflow.Sizes.Choose(8192, 1024));
    }

    [Fact]
    public void It_takes_a_seed_a_negative_prompt_and_four_images_and_makes_png_from_text_only()
    {
        Assert.Equal((true, true, false, 4), (Workflow.SupportsSeed, Workflow.SupportsNegativePrompt, Workflow.SupportsImageInput, Workflow.MaxImages));
        Assert.Equal(["png"], Workflow.OutputFormats);
        Assert.Equal((1024, 1024), (Workflow.DefaultWidth, Workflow.DefaultHeight));
    }

    [Fact]
    public void It_costs_nothing_per_image_because_it_is_self_hosted()
    {
        Assert.Equal(0m, Workflow.Pricing.EstimateUsd(4096, 4096, 4));
        Assert.StartsWith("Self-hosted", Workflow.Pricing.Source);
    }
}
