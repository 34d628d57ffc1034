using ImageGen.Generation.Providers;
using ImageGen.Generation.Providers.Catalog;

namespace ImageGen.Generation.Tests.Catalog;

public class Describing_the_leonardo_models
{
    private static ModelCapabilities Model(string id) => LeonardoProvider.Descriptor.FindModel(id)!.Capabilities;

    [Theory]
    [InlineData(1024, 768, 1024, 768, false)]
    [InlineData(1472, 832, 1472, 832, false)]
    [InlineData(1000, 1500, 1000, 1504, true)]
    [InlineData(1366, 766, 1368, 768, true)]
    public void Sizes_are_sent_as_width_and_height_rounded_to_multiples_of_8(int width, int height, int sentWidth, int sentHeight, bool adjusted)
    {
        foreach (var model in LeonardoProvider.Descriptor.Models)
        {
            var choice = model.Capabilities.Sizes.Choose(width, height)!;

            Assert.Equal((sentWidth, sentHeight), (choice.Width, choice.Height));
            Assert.Null(choice.Parameter);
            Assert.Equal(adjusted, choice.Adjustment is not null);
        }
    }

    [Theory]
    [InlineData(2048, 1024)]
    [InlineData(1024, 1600)]
    public void A_side_beyond_1536_is_refused(int width, int height) =>
        Assert.Null(Model(LeonardoProvider.Phoenix10).Sizes.Choose(width, height));

    [Fact]
    public void Every_model_has_a_positive_price_per_image_with_its_source()
    {
        foreach (var model in LeonardoProvider.Descriptor.Models)
        {
            var pricing = model.Capabilities.Pricing;
            Assert.True(pricing.PerImageUsd > 0, model.Id);
            Assert.Contains("docs.leonardo.ai", pricing.Source);
            Assert.Contains("as of 2026-11", pricing.Source);
        }

        Assert.Equal(0.06m, Model(LeonardoProvider.LightningXl).Pricing.EstimateUsd(1024, 1024, 4));
    }

    [Fact]
    public void Phoenix_takes_no_negative_prompt_and_the_sdxl_models_do_and_all_make_jpeg_four_at_a_time()
    {
        Assert.Equal(LeonardoProvider.Phoenix10, LeonardoProvider.Descriptor.DefaultModel);
        Assert.False(Model(LeonardoProvider.Phoenix10).SupportsNegativePrompt);
        Assert.False(Model(LeonardoProvider.Phoenix09).SupportsNegativePrompt);
        Assert.True(Model(LeonardoProvider.LightningXl).SupportsNegativePrompt);
        Assert.True(Model(LeonardoProvider.KinoXl).SupportsNegativePrompt);
        Assert.All(LeonardoProvider.Descriptor.Models, m =>
        {
            Assert.Equal(["jpeg"], m.Capabilities.OutputFormats);
            Assert.Equal((4, true), (m.Capabilities.MaxImages, m.Capabilities.SupportsSeed));
        });
    }
}
