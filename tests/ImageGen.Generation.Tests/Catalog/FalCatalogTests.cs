using ImageGen.Generation.Providers;
using ImageGen.Generation.Providers.Catalog;

namespace ImageGen.Generation.Tests.Catalog;

public class Describing_the_fal_models
{
    private static ModelCapabilities Model(string id) => FalProvider.Descriptor.FindModel(id)!.Capabilities;

    [Theory]
    [InlineData(1024, 1024, "square_hd")]
    [InlineData(512, 512, "square")]
    [InlineData(768, 1024, "portrait_4_3")]
    [InlineData(576, 1024, "portrait_16_9")]
    [InlineData(1024, 768, "landscape_4_3")]
    [InlineData(1024, 576, "landscape_16_9")]
    public void A_size_that_is_a_preset_goes_by_the_presets_name(int width, int height, string preset)
    {
        var choice = Model(FalProvider.Schnell).Sizes.Choose(width, height)!;

        Assert.Equal(("image_size", preset), (choice.Parameter!.Value.Key, choice.Parameter.Value.Value));
        Assert.Equal((width, height), (choice.Width, choice.Height));
        Assert.Null(choice.Adjustment);
    }

    [Fact]
    public void Any_other_size_goes_as_width_by_height_which_the_worker_sends_as_fals_custom_size()
    {
        var choice = Model(FalProvider.Dev).Sizes.Choose(1024, 1536)!;

        Assert.Equal("1024x1536", choice.Parameter!.Value.Value);
        Assert.Null(choice.Adjustment);
    }

    [Fact]
    public void A_custom_size_is_rounded_to_multiples_of_16_with_a_warning()
    {
        var choice = Model(FalProvider.Schnell).Sizes.Choose(1010, 1500)!;

        Assert.Equal("1008x1504", choice.Parameter!.Value.Value);
        Assert.Contains("multiples of 16", choice.Adjustment);
    }

    [Fact]
    public void Sides_outside_the_models_limits_are_refused()
    {
        Assert.Null(Model(FalProvider.Schnell).Sizes.Choose(4096, 1024));
        Assert.Null(Model(FalProvider.Schnell).Sizes.Choose(128, 1024));
        Assert.Null(Model(FalProvider.ProV11).Sizes.Choose(2048, 1024));
        Assert.Equal("1440x800", Model(FalProvider.ProV11).Sizes.Choose(1440, 810)!.Parameter!.Value.Value);
    }

    [Fact]
    public void With_presets_only_a_size_is_sent_as_the_nearest_preset_as_the_issue_describes()
    {
        var presetsOnly = new FalImageSize(FalProvider.Presets, 256, 2048, 16, AllowsCustom: false);

        var choice = presetsOnly.Choose(1024, 1536)!;

        Assert.Equal("portrait_4_3", choice.Parameter!.Value.Value);
        Assert.Equal((768, 1024), (choice.Width, choice.Height));
        Assert.Contains("portrait_4_3", choice.Adjustment);
        Assert.Equal(6, presetsOnly.Enumerate()!.Count);
    }

    [Fact]
    public void Every_model_is_priced_per_megapixel_with_its_source_and_makes_up_to_four_seeded_png_or_jpeg_images()
    {
        Assert.Equal(FalProvider.Schnell, FalProvider.Descriptor.DefaultModel);
        Assert.True(FalProvider.Descriptor.RequiresCredential);
        foreach (var model in FalProvider.Descriptor.Models)
        {
            var caps = model.Capabilities;
            Assert.True(caps.Pricing.PerMegapixelUsd > 0, model.Id);
            Assert.Contains("fal.ai", caps.Pricing.Source);
            Assert.Contains("as of 2026-11", caps.Pricing.Source);
            Assert.Equal((4, true, false, false), (caps.MaxImages, caps.SupportsSeed, caps.SupportsNegativePrompt, caps.SupportsImageInput));
            Assert.Equal(["png", "jpeg"], caps.OutputFormats);
            Assert.NotNull(caps.Sizes.Choose(caps.DefaultWidth, caps.DefaultHeight));
        }

        Assert.Equal(0.00315m * 2, Model(FalProvider.Schnell).Pricing.EstimateUsd(1024, 1024, 2));
    }
}
