using ImageGen.Generation.Providers;

namespace ImageGen.Generation.Tests;

public class Translating_sizes
{
    [Fact]
    public void A_size_outside_a_range_cannot_be_chosen()
    {
        var choice = new SizeRange(512, 1440, 512, 1440, Parameter: "size", Separator: '*').Choose(1024, 1536)!;

        Assert.Null(choice);
    }

    [Fact]
    public void A_range_sends_width_star_height_for_dashscope_style_providers()
    {
        var choice = new SizeRange(512, 2048, 512, 2048, Parameter: "size", Separator: '*').Choose(1024, 1536)!;

        Assert.Equal((1024, 1536, "size", "1024*1536"), (choice.Width, choice.Height, choice.Parameter!.Value.Key, choice.Parameter.Value.Value));
        Assert.Null(choice.Adjustment);
    }

    [Fact]
    public void A_range_with_a_step_rounds_to_it_and_says_so()
    {
        var choice = new SizeRange(64, 2048, 64, 2048, Multiple: 8).Choose(1001, 777)!;

        Assert.Equal((1000, 776), (choice.Width, choice.Height));
        Assert.Contains("multiples of 8", choice.Adjustment);
    }

    [Fact]
    public void A_fixed_list_takes_the_nearest_shape_then_the_nearest_area()
    {
        var sizes = new SizeList(["1024x1024", "1536x1024", "1024x1536"]);

        var portrait = sizes.Choose(800, 1200)!;
        var square = sizes.Choose(1024, 1024)!;

        Assert.Equal((1024, 1536), (portrait.Width, portrait.Height));
        Assert.Contains("nearest size", portrait.Adjustment);
        Assert.Equal("1024x1536", portrait.Parameter!.Value.Value);
        Assert.Null(square.Adjustment);
    }

    [Theory]
    [InlineData(832, 1248, "2:3", false)]
    [InlineData(1344, 756, "16:9", false)]
    [InlineData(1920, 1080, "16:9", true)]
    [InlineData(1000, 1600, "2:3", true)]
    [InlineData(1024, 1024, "1:1", false)]
    public void Sizes_become_the_nearest_aspect_ratio_for_stability_style_providers(int width, int height, string ratio, bool adjusted)
    {
        var spec = new AspectRatioList(["16:9", "1:1", "21:9", "2:3", "3:2", "4:5", "5:4", "9:16", "9:21"], 1024 * 1024);

        var choice = spec.Choose(width, height)!;

        Assert.Equal(("aspect_ratio", ratio), (choice.Parameter!.Value.Key, choice.Parameter.Value.Value));
        Assert.Equal(adjusted, choice.Adjustment is not null);
    }

    [Fact]
    public void Named_presets_map_to_their_names_for_fal_style_providers()
    {
        var spec = new SizePresets(
        [
            new("square_hd", 1024, 1024), new("portrait_4_3", 768, 1024), new("portrait_16_9", 576, 1024),
            new("landscape_4_3", 1024, 768), new("landscape_16_9", 1024, 576),
        ], "image_size");

        var choice = spec.Choose(1024, 1536)!;

        Assert.Equal(("image_size", "portrait_4_3"), (choice.Parameter!.Value.Key, choice.Parameter.Value.Value));
        Assert.Contains("portrait_4_3", choice.Adjustment);
    }

    [Fact]
    public void Pricing_by_megapixel_scales_with_area_and_count()
    {
        var pricing = new Pricing(null, 0.003m, "test");

        Assert.Equal(0.003m * 2 * 1.57m, pricing.EstimateUsd(1024, 1536, 2));
        Assert.Equal(0.08m, new Pricing(0.04m, null, "test").EstimateUsd(1024, 1024, 2));
    }
}
