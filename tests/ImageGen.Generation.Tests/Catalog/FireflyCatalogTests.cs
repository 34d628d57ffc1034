using ImageGen.Generation.Providers;
using ImageGen.Generation.Providers.Catalog;

namespace ImageGen.Generation.Tests.Catalog;

public class Describing_the_firefly_models
{
    private static ModelCapabilities Model(string id) => FireflyProvider.Descriptor.FindModel(id)!.Capabilities;

    [Theory]
    [InlineData(FireflyProvider.Image4Standard, 1024, 1536, "1792x2304")]
    [InlineData(FireflyProvider.Image4Standard, 1920, 1080, "2688x1536")]
    [InlineData(FireflyProvider.Image4Standard, 1080, 1920, "1440x2560")]
    [InlineData(FireflyProvider.Image4Ultra, 1024, 1024, "2048x2048")]
    [InlineData(FireflyProvider.Image3, 1024, 1024, "1024x1024")]
    [InlineData(FireflyProvider.Image3, 1024, 1536, "896x1152")]
    [InlineData(FireflyProvider.Image3, 1792, 1024, "1344x768")]
    public void A_size_is_sent_as_the_nearest_one_the_model_makes(string model, int width, int height, string sent)
    {
        var choice = Model(model).Sizes.Choose(width, height)!;

        Assert.Equal(("size", sent), (choice.Parameter!.Value.Key, choice.Parameter!.Value.Value));
        Assert.Equal(sent, $"{choice.Width}x{choice.Height}");
        Assert.Equal($"{width}x{height}" == sent, choice.Adjustment is null);
    }

    [Fact]
    public void Image_4_does_not_offer_the_small_image_3_sizes()
    {
        Assert.DoesNotContain("1024x1024", Model(FireflyProvider.Image4Standard).Sizes.Enumerate()!);
        Assert.Contains("1024x1024", Model(FireflyProvider.Image3).Sizes.Enumerate()!);
    }

    [Fact]
    public void Every_model_takes_four_variations_a_32_bit_seed_a_negative_prompt_and_prompts_of_1024_characters()
    {
        Assert.Equal("firefly", FireflyProvider.Descriptor.Id);
        Assert.True(FireflyProvider.Descriptor.RequiresCredential);
        Assert.Equal(FireflyProvider.Image4Standard, FireflyProvider.Descriptor.DefaultModel);
        foreach (var model in FireflyProvider.Descriptor.Models)
        {
            var caps = model.Capabilities;
            Assert.Equal((4, true, true, (long)int.MaxValue, 1024, false), (caps.MaxImages, caps.SupportsSeed, caps.SupportsNegativePrompt, caps.MaxSeed, caps.MaxPromptLength, caps.SupportsImageInput));
            Assert.Equal(["jpeg"], caps.OutputFormats);
            Assert.NotNull(caps.Sizes.Choose(caps.DefaultWidth, caps.DefaultHeight));
            Assert.Null(caps.Sizes.Choose(caps.DefaultWidth, caps.DefaultHeight)!.Adjustment);
        }
    }

    [Fact]
    public void Every_model_has_a_positive_price_per_image_with_its_source_and_the_date_it_was_checked()
    {
        foreach (var model in FireflyProvider.Descriptor.Models)
        {
            var pricing = model.Capabilities.Pricing;
            Assert.True(pricing.PerImageUsd > 0, model.Id);
            Assert.Contains("developer.adobe.com/firefly-services", pricing.Source);
            Assert.Contains("as of 2026-11", pricing.Source);
        }

        Assert.True(Model(FireflyProvider.Image4Ultra).Pricing.PerImageUsd > Model(FireflyProvider.Image4Standard).Pricing.PerImageUsd);
        Assert.Equal(0.16m, Model(FireflyProvider.Image4Standard).Pricing.EstimateUsd(2048, 2048, 4));
    }
}
