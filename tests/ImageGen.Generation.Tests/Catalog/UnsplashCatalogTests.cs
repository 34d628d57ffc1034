using ImageGen.Generation.Providers;
using ImageGen.Generation.Providers.Catalog;

namespace ImageGen.Generation.Tests.Catalog;

public class Describing_the_unsplash_stock_photos
{
    private static ModelCapabilities Photo => UnsplashProvider.Descriptor.FindModel(UnsplashProvider.ModelId)!.Capabilities;

    [Theory]
    [InlineData(1024, 1536)]
    [InlineData(1920, 1080)]
    [InlineData(333, 333)]
    public void Any_size_is_kept_exactly_because_the_image_cdn_crops_to_it(int width, int height)
    {
        var choice = Photo.Sizes.Choose(width, height)!;

        Assert.Equal((width, height), (choice.Width, choice.Height));
        Assert.Null(choice.Adjustment);
        // The worker derives Unsplash's orientation filter from the size itself.
        Assert.Null(choice.Parameter);
    }

    [Fact]
    public void Sizes_beyond_what_the_cdn_serves_are_refused()
    {
        Assert.Null(Photo.Sizes.Choose(8000, 1000));
    }

    [Fact]
    public void Photos_are_free_and_say_where_that_comes_from()
    {
        Assert.Equal(0m, Photo.Pricing.PerImageUsd);
        Assert.Equal(0m, Photo.Pricing.EstimateUsd(1536, 1024, 4));
        Assert.Contains("https://unsplash.com/developers", Photo.Pricing.Source);
        Assert.Contains("as of 2026-11", Photo.Pricing.Source);
    }

    [Fact]
    public void A_stock_photo_has_no_seed_negative_prompt_or_input_image_but_needs_a_key()
    {
        Assert.False(Photo.SupportsSeed);
        Assert.False(Photo.SupportsNegativePrompt);
        Assert.False(Photo.SupportsImageInput);
        Assert.True(UnsplashProvider.Descriptor.RequiresCredential);
        Assert.Equal(["jpeg", "webp", "png"], Photo.OutputFormats);
        Assert.Equal(UnsplashProvider.ModelId, UnsplashProvider.Descriptor.DefaultModel);
    }
}
