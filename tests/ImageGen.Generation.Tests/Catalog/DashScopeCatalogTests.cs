using ImageGen.Generation.Providers;
using ImageGen.Generation.Providers.Catalog;

namespace ImageGen.Generation.Tests.Catalog;

public class Describing_the_wan_models
{
    private static ModelCapabilities Model(string id) => DashScopeProvider.Descriptor.FindModel(id)!.Capabilities;

    [Theory]
    [InlineData(DashScopeProvider.Wan22Flash)]
    [InlineData(DashScopeProvider.Wan22Plus)]
    [InlineData(DashScopeProvider.Wan21Turbo)]
    public void Wan_2_2_and_2_1_are_sent_the_size_with_a_star_and_sides_of_512_to_1440(string model)
    {
        var sizes = Model(model).Sizes;

        Assert.Equal(("size", "1024*1440"), (sizes.Choose(1024, 1440)!.Parameter!.Value.Key, sizes.Choose(1024, 1440)!.Parameter!.Value.Value));
        Assert.Null(sizes.Choose(1024, 1536));
        Assert.Null(sizes.Choose(256, 256));
    }

    [Fact]
    public void Wan_2_5_takes_tall_shapes_beyond_1440_inside_its_pixel_window_and_scales_small_ones_up()
    {
        var sizes = Model(DashScopeProvider.Wan25Preview).Sizes;

        Assert.Equal("768*2700", sizes.Choose(768, 2700)!.Parameter!.Value.Value);
        var small = sizes.Choose(512, 512)!;
        Assert.Equal("768*768", small.Parameter!.Value.Value);
        Assert.NotNull(small.Adjustment);
        Assert.Null(sizes.Choose(2000, 400));
    }

    [Fact]
    public void Every_model_has_a_positive_price_per_image_with_its_source_and_takes_seed_negative_prompt_and_four_images()
    {
        Assert.Equal(DashScopeProvider.Wan22Flash, DashScopeProvider.Descriptor.DefaultModel);
        foreach (var model in DashScopeProvider.Descriptor.Models)
        {
            var caps = model.Capabilities;
            Assert.True(caps.Pricing.PerImageUsd > 0, model.Id);
            Assert.Contains("alibabacloud.com", caps.Pricing.Source);
            Assert.Contains("as of 2026-11", caps.Pricing.Source);
            Assert.Equal((4, true, true, int.MaxValue), (caps.MaxImages, caps.SupportsSeed, caps.SupportsNegativePrompt, caps.MaxSeed));
            Assert.NotNull(caps.Sizes.Choose(caps.DefaultWidth, caps.DefaultHeight));
        }

        Assert.Equal(0.1m, Model(DashScopeProvider.Wan21Turbo).Pricing.EstimateUsd(1024, 1024, 4));
    }
}
