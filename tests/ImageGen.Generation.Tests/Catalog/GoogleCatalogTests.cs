using ImageGen.Generation.Providers;
using ImageGen.Generation.Providers.Catalog;

namespace ImageGen.Generation.Tests.Catalog;

public class Describing_the_google_models
{
    private static ModelCapabilities Model(string id) => GoogleProvider.Descriptor.FindModel(id)!.Capabilities;

    [Theory]
    [InlineData(1024, 1536, "2:3")]
    [InlineData(1536, 1024, "3:2")]
    [InlineData(1024, 1024, "1:1")]
    [InlineData(1920, 1080, "16:9")]
    [InlineData(2520, 1080, "21:9")]
    [InlineData(1024, 1280, "4:5")]
    public void Gemini_takes_the_nearest_of_its_ten_aspect_ratios(int width, int height, string ratio)
    {
        var choice = Model(GoogleProvider.GeminiFlashImage).Sizes.Choose(width, height)!;

        Assert.Equal(("aspect_ratio", ratio), (choice.Parameter!.Value.Key, choice.Parameter.Value.Value));
    }

    [Theory]
    [InlineData(GoogleProvider.Imagen4)]
    [InlineData(GoogleProvider.Imagen4Fast)]
    [InlineData(GoogleProvider.Imagen4Ultra)]
    public void Imagen_has_five_ratios_so_a_two_by_three_portrait_becomes_three_by_four_with_a_warning(string model)
    {
        var choice = Model(model).Sizes.Choose(1024, 1536)!;

        Assert.Equal(("aspect_ratio", "3:4"), (choice.Parameter!.Value.Key, choice.Parameter.Value.Value));
        Assert.Contains("3:4", choice.Adjustment);
        Assert.Equal(["1:1", "3:4", "4:3", "9:16", "16:9"], ((AspectRatioList)Model(model).Sizes).Ratios);
    }

    [Fact]
    public void An_ultra_wide_request_is_sent_to_imagen_as_sixteen_by_nine()
    {
        var choice = Model(GoogleProvider.Imagen4).Sizes.Choose(2520, 1080)!;

        Assert.Equal("16:9", choice.Parameter!.Value.Value);
        Assert.NotNull(choice.Adjustment);
    }

    [Fact]
    public void A_square_of_about_a_megapixel_is_sent_unadjusted()
    {
        var choice = Model(GoogleProvider.Imagen4).Sizes.Choose(1024, 1024)!;

        Assert.Equal((1024, 1024, "1:1"), (choice.Width, choice.Height, choice.Parameter!.Value.Value));
        Assert.Null(choice.Adjustment);
    }

    [Fact]
    public void Only_gemini_edits_input_images()
    {
        Assert.True(Model(GoogleProvider.GeminiFlashImage).SupportsImageInput);
        Assert.All(
            GoogleProvider.Descriptor.Models.Where(m => m.Id.StartsWith("imagen-", StringComparison.Ordinal)),
            m => Assert.False(m.Capabilities.SupportsImageInput));
    }

    [Fact]
    public void Neither_family_takes_a_seed_or_a_negative_prompt_through_the_gemini_api()
    {
        Assert.All(GoogleProvider.Descriptor.Models, m => Assert.False(m.Capabilities.SupportsSeed || m.Capabilities.SupportsNegativePrompt));
    }

    [Theory]
    [InlineData(GoogleProvider.Imagen4Fast, "0.02")]
    [InlineData(GoogleProvider.Imagen4, "0.04")]
    [InlineData(GoogleProvider.Imagen4Ultra, "0.06")]
    [InlineData(GoogleProvider.GeminiFlashImage, "0.039")]
    public void Each_model_is_priced_per_image_with_its_source(string model, string price)
    {
        var pricing = Model(model).Pricing;

        Assert.Equal(decimal.Parse(price, System.Globalization.CultureInfo.InvariantCulture), pricing.PerImageUsd);
        Assert.Contains("https://ai.google.dev/gemini-api/docs/pricing", pricing.Source);
        Assert.Contains("as of 2026-11", pricing.Source);
        Assert.Equal(4 * pricing.PerImageUsd, pricing.EstimateUsd(1024, 1024, 4));
    }

    [Fact]
    public void The_default_model_is_one_of_the_providers_models_and_a_key_is_required()
    {
        Assert.NotNull(GoogleProvider.Descriptor.FindModel(GoogleProvider.Descriptor.DefaultModel));
        Assert.Equal("google", GoogleProvider.Descriptor.Id);
        Assert.True(GoogleProvider.Descriptor.RequiresCredential);
        Assert.All(GoogleProvider.Descriptor.Models, m => Assert.Equal(4, m.Capabilities.MaxImages));
    }
}
