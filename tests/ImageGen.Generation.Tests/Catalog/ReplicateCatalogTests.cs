using ImageGen.Generation.Providers;
using ImageGen.Generation.Providers.Catalog;

namespace ImageGen.Generation.Tests.Catalog;

public class Describing_the_replicate_models
{
    private static ModelCapabilities Model(string id) => ReplicateProvider.Descriptor.FindModel(id)!.Capabilities;

    [Theory]
    [InlineData(1024, 1536, "2:3", 832, 1216, true)]
    [InlineData(832, 1216, "2:3", 832, 1216, false)]
    [InlineData(1024, 1024, "1:1", 1024, 1024, false)]
    [InlineData(1920, 1080, "16:9", 1344, 768, true)]
    [InlineData(1344, 768, "16:9", 1344, 768, false)]
    [InlineData(1536, 640, "21:9", 1536, 640, false)]
    [InlineData(1080, 1920, "9:16", 768, 1344, true)]
    [InlineData(512, 512, "1:1", 512, 512, false)]
    [InlineData(672, 384, "16:9", 672, 384, false)]
    [InlineData(400, 600, "2:3", 416, 608, true)]
    public void Flux_1_schnell_and_dev_get_the_nearest_aspect_ratio_at_one_or_a_quarter_megapixel(int width, int height, string ratio, int madeWidth, int madeHeight, bool adjusted)
    {
        foreach (var model in new[] { ReplicateProvider.FluxSchnell, ReplicateProvider.FluxDev })
        {
            var choice = Model(model).Sizes.Choose(width, height)!;

            Assert.Equal(("aspect_ratio", ratio), (choice.Parameter!.Value.Key, choice.Parameter.Value.Value));
            Assert.Equal((madeWidth, madeHeight), (choice.Width, choice.Height));
            Assert.Equal(adjusted, choice.Adjustment is not null);
        }
    }

    [Fact]
    public void Flux_1_1_pro_takes_any_size_from_256_to_1440_rounded_to_multiples_of_32_and_sends_no_size_parameter()
    {
        var sizes = Model(ReplicateProvider.Flux11Pro).Sizes;

        var exact = sizes.Choose(1024, 576)!;
        var rounded = sizes.Choose(1000, 600)!;

        Assert.Equal((1024, 576), (exact.Width, exact.Height));
        Assert.Null(exact.Adjustment);
        Assert.Null(exact.Parameter);
        Assert.Equal((992, 608), (rounded.Width, rounded.Height));
        Assert.Contains("multiples of 32", rounded.Adjustment);
        Assert.Null(sizes.Choose(2048, 2048));
        Assert.Null(sizes.Choose(200, 1024));
    }

    [Theory]
    [InlineData(ReplicateProvider.FluxSchnell, 0.003)]
    [InlineData(ReplicateProvider.FluxDev, 0.025)]
    [InlineData(ReplicateProvider.Flux11Pro, 0.04)]
    public void Prices_are_per_output_image_and_positive_with_their_source(string model, double perImage)
    {
        var pricing = Model(model).Pricing;

        Assert.Equal((decimal)perImage, pricing.PerImageUsd);
        Assert.True(pricing.PerImageUsd > 0);
        Assert.Contains("https://replicate.com/pricing", pricing.Source);
        Assert.Contains("as of 2026-11", pricing.Source);
        Assert.Equal(4 * (decimal)perImage, pricing.EstimateUsd(1024, 1024, 4));
    }

    [Fact]
    public void Every_model_makes_up_to_four_images_with_a_seed_in_three_formats_and_no_negative_prompt()
    {
        Assert.Equal(ReplicateProvider.FluxSchnell, ReplicateProvider.Descriptor.DefaultModel);
        Assert.Equal("replicate", ReplicateProvider.Id);
        foreach (var model in ReplicateProvider.Descriptor.Models)
        {
            var caps = model.Capabilities;
            Assert.Equal((4, true, false, false), (caps.MaxImages, caps.SupportsSeed, caps.SupportsNegativePrompt, caps.SupportsImageInput));
            Assert.Equal(["png", "jpeg", "webp"], caps.OutputFormats);
            Assert.NotNull(caps.Sizes.Choose(caps.DefaultWidth, caps.DefaultHeight));
            Assert.Contains('/', model.Id);
        }
    }
}
