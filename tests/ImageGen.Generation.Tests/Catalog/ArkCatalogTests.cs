using ImageGen.Generation.Providers;
using ImageGen.Generation.Providers.Catalog;

namespace ImageGen.Generation.Tests.Catalog;

public class Describing_the_seedream_models
{
    private static ModelCapabilities Model(string id) => ArkProvider.Descriptor.FindModel(id)!.Capabilities;

    [Theory]
    [InlineData(1024, 1536)]
    [InlineData(1280, 720)]
    [InlineData(2560, 1440)]
    [InlineData(4096, 4096)]
    [InlineData(4096, 256)]
    public void Seedream_4_is_sent_the_exact_size_anywhere_in_its_pixel_window(int width, int height)
    {
        var choice = Model(ArkProvider.Seedream4).Sizes.Choose(width, height)!;

        Assert.Equal(("size", $"{width}x{height}"), (choice.Parameter!.Value.Key, choice.Parameter.Value.Value));
        Assert.Equal((width, height), (choice.Width, choice.Height));
        Assert.Null(choice.Adjustment);
    }

    [Fact]
    public void A_size_below_seedream_4s_window_is_scaled_up_into_it_keeping_its_shape_with_a_warning()
    {
        var choice = Model(ArkProvider.Seedream4).Sizes.Choose(512, 768)!;

        Assert.Equal("784x1176", choice.Parameter!.Value.Value);
        Assert.InRange((long)choice.Width * choice.Height, ArkProvider.Seedream4MinPixels, ArkProvider.Seedream4MaxPixels);
        Assert.Equal(512.0 / 768, (double)choice.Width / choice.Height, 2);
        Assert.Contains("scaled to 784x1176", choice.Adjustment);
    }

    [Fact]
    public void A_size_above_seedream_4s_window_is_scaled_down_into_it()
    {
        var choice = Model(ArkProvider.Seedream4).Sizes.Choose(8192, 4608)!;

        Assert.True((long)choice.Width * choice.Height <= ArkProvider.Seedream4MaxPixels);
        Assert.Equal(16.0 / 9, (double)choice.Width / choice.Height, 2);
        Assert.NotNull(choice.Adjustment);
    }

    [Fact]
    public void A_shape_more_extreme_than_sixteen_to_one_is_refused_by_seedream_4()
    {
        Assert.Null(Model(ArkProvider.Seedream4).Sizes.Choose(4096, 128));
        Assert.Contains("1:16", Model(ArkProvider.Seedream4).Sizes.Describe());
    }

    [Fact]
    public void Seedream_3_takes_sides_of_512_to_2048_as_an_exact_size()
    {
        var sizes = Model(ArkProvider.Seedream3).Sizes;

        Assert.Equal("1024x1536", sizes.Choose(1024, 1536)!.Parameter!.Value.Value);
        Assert.Null(sizes.Choose(4096, 4096));
        Assert.Null(sizes.Choose(256, 256));
    }

    [Fact]
    public void Only_seedream_3_takes_a_seed_and_only_seedream_4_takes_reference_images()
    {
        Assert.Equal((false, true), (Model(ArkProvider.Seedream4).SupportsSeed, Model(ArkProvider.Seedream4).SupportsImageInput));
        Assert.Equal((true, false), (Model(ArkProvider.Seedream3).SupportsSeed, Model(ArkProvider.Seedream3).SupportsImageInput));
        Assert.Equal(int.MaxValue, Model(ArkProvider.Seedream3).MaxSeed);
    }

    [Fact]
    public void Every_model_makes_jpeg_takes_no_negative_prompt_and_has_a_positive_price_per_image_with_its_source()
    {
        Assert.Equal(ArkProvider.Seedream4, ArkProvider.Descriptor.DefaultModel);
        Assert.True(ArkProvider.Descriptor.RequiresCredential);
        foreach (var model in ArkProvider.Descriptor.Models)
        {
            var caps = model.Capabilities;
            Assert.Equal(["jpeg"], caps.OutputFormats);
            Assert.False(caps.SupportsNegativePrompt);
            Assert.True(caps.Pricing.PerImageUsd > 0, model.Id);
            Assert.Contains("volcengine.com", caps.Pricing.Source);
            Assert.Contains("as of 2026-11", caps.Pricing.Source);
            Assert.NotNull(caps.Sizes.Choose(caps.DefaultWidth, caps.DefaultHeight));
        }
    }

    [Fact]
    public void The_estimate_is_the_price_per_image_times_the_images_whatever_the_size()
    {
        var pricing = Model(ArkProvider.Seedream4).Pricing;

        Assert.Equal(0.09m, pricing.EstimateUsd(4096, 4096, 3));
        Assert.Equal(0.03m, pricing.EstimateUsd(1280, 720, 1));
    }
}
