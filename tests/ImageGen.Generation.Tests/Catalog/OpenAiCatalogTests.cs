using ImageGen.Generation.Providers;
using ImageGen.Generation.Providers.Catalog;

namespace ImageGen.Generation.Tests.Catalog;

public class Describing_the_openai_models
{
    private static ModelCapabilities Model(string id) => OpenAiProvider.Descriptor.FindModel(id)!.Capabilities;

    [Theory]
    [InlineData(1024, 1024, "1024x1024", false)]
    [InlineData(1536, 1024, "1536x1024", false)]
    [InlineData(1024, 1536, "1024x1536", false)]
    [InlineData(1920, 1080, "1536x1024", true)]
    [InlineData(832, 1248, "1024x1536", true)]
    [InlineData(512, 512, "1024x1024", true)]
    public void Gpt_image_1_gets_the_nearest_of_its_three_sizes_as_size(int width, int height, string size, bool adjusted)
    {
        var choice = Model(OpenAiProvider.GptImage1).Sizes.Choose(width, height)!;

        Assert.Equal(("size", size), (choice.Parameter!.Value.Key, choice.Parameter.Value.Value));
        Assert.Equal(adjusted, choice.Adjustment is not null);
    }

    [Theory]
    [InlineData(1024, 1024, "1024x1024", false)]
    [InlineData(1792, 1024, "1792x1024", false)]
    [InlineData(1024, 1792, "1024x1792", false)]
    [InlineData(1920, 1080, "1792x1024", true)]
    [InlineData(1024, 1536, "1024x1792", true)]
    public void Dall_e_3_gets_the_nearest_of_its_own_three_sizes(int width, int height, string size, bool adjusted)
    {
        var choice = Model(OpenAiProvider.DallE3).Sizes.Choose(width, height)!;

        Assert.Equal(("size", size), (choice.Parameter!.Value.Key, choice.Parameter.Value.Value));
        Assert.Equal(adjusted, choice.Adjustment is not null);
    }

    [Theory]
    [InlineData(OpenAiProvider.GptImage1, 0.042)]
    [InlineData(OpenAiProvider.DallE3, 0.04)]
    public void Prices_are_the_published_per_image_prices_with_their_source(string model, double perImage)
    {
        var pricing = Model(model).Pricing;

        Assert.Equal((decimal)perImage, pricing.PerImageUsd);
        Assert.Contains("as of 2026-11", pricing.Source);
        Assert.Contains("https://", pricing.Source);
        Assert.Equal(2 * (decimal)perImage, pricing.EstimateUsd(1024, 1024, 2));
    }

    [Fact]
    public void The_gpt_image_1_price_is_for_medium_quality_the_worker_default_and_names_the_other_qualities()
    {
        var source = Model(OpenAiProvider.GptImage1).Pricing.Source;

        Assert.Contains("medium", source);
        Assert.Contains("$0.011", source);
        Assert.Contains("$0.167", source);
        Assert.Contains("$0.25", source);
    }

    [Fact]
    public void Only_gpt_image_1_takes_input_images_and_other_output_formats_than_png()
    {
        Assert.True(Model(OpenAiProvider.GptImage1).SupportsImageInput);
        Assert.False(Model(OpenAiProvider.DallE3).SupportsImageInput);
        Assert.Equal(["png", "jpeg", "webp"], Model(OpenAiProvider.GptImage1).OutputFormats);
        Assert.Equal(["png"], Model(OpenAiProvider.DallE3).OutputFormats);
    }

    [Theory]
    [InlineData(OpenAiProvider.GptImage1)]
    [InlineData(OpenAiProvider.DallE3)]
    public void Neither_model_takes_a_seed_or_a_negative_prompt_so_the_orchestrator_warns(string model)
    {
        Assert.False(Model(model).SupportsSeed);
        Assert.False(Model(model).SupportsNegativePrompt);
        Assert.InRange(Model(model).MaxImages, 1, 4);
    }

    [Fact]
    public void The_provider_needs_a_key_and_defaults_to_gpt_image_1()
    {
        Assert.Equal("openai", OpenAiProvider.Descriptor.Id);
        Assert.True(OpenAiProvider.Descriptor.RequiresCredential);
        Assert.NotNull(OpenAiProvider.Descriptor.FindModel(OpenAiProvider.Descriptor.DefaultModel));
        Assert.Equal(OpenAiProvider.GptImage1, OpenAiProvider.Descriptor.DefaultModel);
        Assert.Equal(4000, Model(OpenAiProvider.DallE3).MaxPromptLength);
    }
}
