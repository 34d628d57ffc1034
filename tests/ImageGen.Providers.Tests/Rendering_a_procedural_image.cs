using System.Security.Cryptography;
using ImageGen.Providers.Adapters;
using ImageGen.Providers.Adapters.Builtin;

namespace ImageGen.Providers.Tests;

public class Rendering_a_procedural_image
{
    // Mean per-channel difference (0-255) above which two pictures are plainly not the same picture;
    // the grain alone of two renders of one scene differs by about 3.
    private const double VisiblyDifferent = 20;

    [Theory]
    [InlineData(ImageOutputFormat.Png)]
    [InlineData(ImageOutputFormat.Jpeg)]
    [InlineData(ImageOutputFormat.Webp)]
    public void The_same_inputs_give_byte_identical_output(ImageOutputFormat format)
    {
        var first = ProceduralRenderer.Render("a red sunset over snowy mountains", "clouds", 1234, 320, 200, format);
        var second = ProceduralRenderer.Render("a red sunset over snowy mountains", "clouds", 1234, 320, 200, format);

        Assert.Equal(SHA256.HashData(first), SHA256.HashData(second));
    }

    [Theory]
    [InlineData("a red sunset over mountains", "a city skyline at night")]
    [InlineData("a calm blue lake at dawn", "abstract neon circles")]
    [InlineData("pine forest in the morning", "a galaxy with a ringed planet")]
    public void Different_prompts_give_visibly_different_images(string prompt, string otherPrompt)
    {
        var image = ProceduralRenderer.Render(prompt, null, 7, 256, 256, ImageOutputFormat.Png);
        var other = ProceduralRenderer.Render(otherPrompt, null, 7, 256, 256, ImageOutputFormat.Png);

        Assert.True(ImageAssert.MeanDifference(image, other) > VisiblyDifferent);
    }

    [Fact]
    public void Prompts_without_known_words_still_differ()
    {
        var prompts = new[] { "a cat", "a dog", "portrait of an old man", "bowl of fruit", "a vintage car", "my birthday party" };
        var images = prompts.Select(p => ProceduralRenderer.Render(p, null, 99, 128, 128, ImageOutputFormat.Png)).ToArray();

        for (var i = 0; i < images.Length; i++)
        {
            for (var j = i + 1; j < images.Length; j++)
            {
                Assert.True(ImageAssert.MeanDifference(images[i], images[j]) > VisiblyDifferent, $"'{prompts[i]}' and '{prompts[j]}' render alike");
            }
        }
    }

    [Fact]
    public void Different_seeds_give_different_images_of_the_same_theme()
    {
        var first = ProceduralRenderer.Render("mountains by a lake", null, 1, 256, 256, ImageOutputFormat.Png);
        var second = ProceduralRenderer.Render("mountains by a lake", null, 2, 256, 256, ImageOutputFormat.Png);

        Assert.True(ImageAssert.MeanDifference(first, second) > VisiblyDifferent);
    }

    [Fact]
    public void Case_punctuation_and_spacing_of_the_prompt_do_not_matter()
    {
        var plain = ProceduralRenderer.Render("a red sunset over mountains", null, 5, 128, 128, ImageOutputFormat.Png);
        var noisy = ProceduralRenderer.Render("  A red SUNSET, over mountains! ", null, 5, 128, 128, ImageOutputFormat.Png);

        Assert.Equal(plain, noisy);
    }

    [Fact]
    public void A_negative_prompt_takes_elements_away_deterministically()
    {
        var withSun = ProceduralRenderer.Render("a sunny day over the sea", null, 3, 256, 256, ImageOutputFormat.Png);
        var withoutSun = ProceduralRenderer.Render("a sunny day over the sea", "sun, clouds", 3, 256, 256, ImageOutputFormat.Png);
        var again = ProceduralRenderer.Render("a sunny day over the sea", "sun, clouds", 3, 256, 256, ImageOutputFormat.Png);

        Assert.True(ImageAssert.MeanDifference(withSun, withoutSun) > 5);
        Assert.Equal(withoutSun, again);
    }

    [Theory]
    [InlineData(64, 64)]
    [InlineData(512, 512)]
    [InlineData(640, 360)]
    [InlineData(300, 1000)]
    [InlineData(4096, 64)]
    public void The_image_has_the_requested_size(int width, int height)
    {
        using var bitmap = ImageAssert.Decode(ProceduralRenderer.Render("a lighthouse on the coast", null, 11, width, height, ImageOutputFormat.Png));

        Assert.Equal((width, height), (bitmap.Width, bitmap.Height));
    }

    [Theory]
    [InlineData(ImageOutputFormat.Png, new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, 0)]
    [InlineData(ImageOutputFormat.Jpeg, new byte[] { 0xFF, 0xD8, 0xFF }, 0)]
    [InlineData(ImageOutputFormat.Webp, new byte[] { (byte)'W', (byte)'E', (byte)'B', (byte)'P' }, 8)]
    public void Each_format_is_encoded_as_that_file_type(ImageOutputFormat format, byte[] magic, int offset)
    {
        var encoded = ProceduralRenderer.Render("a city at night", null, 21, 200, 150, format);

        Assert.Equal(magic, encoded.AsSpan(offset, magic.Length).ToArray());
        if (format == ImageOutputFormat.Webp)
        {
            Assert.Equal("RIFF"u8.ToArray(), encoded.AsSpan(0, 4).ToArray());
        }

        using var bitmap = ImageAssert.Decode(encoded);
        Assert.Equal((200, 150), (bitmap.Width, bitmap.Height));
    }

    [Theory]
    [InlineData(63, 100)]
    [InlineData(100, 4097)]
    public void Sizes_outside_64_to_4096_are_refused(int width, int height)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ProceduralRenderer.Render("x", null, 1, width, height, ImageOutputFormat.Png));
    }
}
