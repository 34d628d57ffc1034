using ImageGen.Generation.Providers;
using ImageGen.Generation.Providers.Catalog;

namespace ImageGen.Generation.Tests.Catalog;

public class Describing_the_kie_kontext_models
{
    private static ModelCapabilities Model(string id) => KieProvider.Descriptor.FindModel(id)!.Capabilities;

    [Theory]
    [InlineData(1024, 1536, "3:4")]
    [InlineData(1920, 1080, "16:9")]
    [InlineData(1024, 1024, "1:1")]
    [InlineData(2560, 1080, "21:9")]
    [InlineData(1080, 1920, "9:16")]
    [InlineData(1600, 1200, "4:3")]
    public void A_size_is_sent_as_the_nearest_of_kies_aspect_ratios(int width, int height, string ratio)
    {
        var choice = Model(KieProvider.KontextPro).Sizes.Choose(width, height)!;

        Assert.Equal(("aspectRatio", ratio), (choice.Parameter!.Value.Key, choice.Parameter.Value.Value));
    }

    [Fact]
    public void A_shape_kie_does_not_make_is_adjusted_with_a_warning()
    {
        var choice = Model(KieProvider.KontextMax).Sizes.Choose(1024, 1536)!;

        Assert.Contains("3:4", choice.Adjustment);
    }

    [Fact]
    public void Both_models_edit_images_take_no_seed_nor_negative_prompt_and_make_png_or_jpeg()
    {
        Assert.Equal(KieProvider.KontextPro, KieProvider.Descriptor.DefaultModel);
        foreach (var model in KieProvider.Descriptor.Models)
        {
            var caps = model.Capabilities;
            Assert.Equal((true, false, false, 4), (caps.SupportsImageInput, caps.SupportsSeed, caps.SupportsNegativePrompt, caps.MaxImages));
            Assert.Equal(["png", "jpeg"], caps.OutputFormats);
        }
    }

    [Fact]
    public void Every_model_has_a_positive_price_per_image_with_its_source_and_max_costs_more_than_pro()
    {
        foreach (var model in KieProvider.Descriptor.Models)
        {
            var pricing = model.Capabilities.Pricing;
            Assert.True(pricing.PerImageUsd > 0, model.Id);
            Assert.Contains("kie.ai", pricing.Source);
            Assert.Contains("as of 2026-11", pricing.Source);
        }

        Assert.True(Model(KieProvider.KontextMax).Pricing.PerImageUsd > Model(KieProvider.KontextPro).Pricing.PerImageUsd);
        Assert.Equal(0.075m, Model(KieProvider.KontextPro).Pricing.EstimateUsd(1024, 1024, 3));
    }
}
