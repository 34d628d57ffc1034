using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace ImageGen.Providers.Adapters.Builtin;

internal enum TimeOfDay
{
    Day,
    Dusk,
    Night,
}

[Flags]
internal enum SceneElements
{
    None = 0,
    Celestial = 1 << 0,
    Stars = 1 << 1,
    Clouds = 1 << 2,
    Mountains = 1 << 3,
    Water = 1 << 4,
    City = 1 << 5,
    Forest = 1 << 6,
    Abstract = 1 << 7,
    Space = 1 << 8,
    Grain = 1 << 9,
    Vignette = 1 << 10,
}

/// <summary>
/// What a prompt asks the procedural renderer for: a palette, a time of day and a set of scene
/// elements, plus the root of every random choice. Known words steer the scene ("sunset", "ocean",
/// "red"); every other word still changes the picture through the hash. Words of the negative prompt
/// take elements and hues away.
/// </summary>
internal sealed record SceneRecipe(
    ulong Root,
    float Hue,
    float Saturation,
    float Lightness,
    TimeOfDay Time,
    SceneElements Elements,
    bool Neon)
{
    private static readonly Dictionary<string, float> ColorHues = new(StringComparer.Ordinal)
    {
        ["red"] = 355, ["crimson"] = 350, ["scarlet"] = 5, ["ruby"] = 345,
        ["orange"] = 25, ["rust"] = 18, ["autumn"] = 28, ["copper"] = 22,
        ["amber"] = 40, ["gold"] = 46, ["golden"] = 44, ["yellow"] = 52, ["lemon"] = 56,
        ["lime"] = 90, ["green"] = 130, ["emerald"] = 145, ["jade"] = 155, ["mint"] = 150,
        ["teal"] = 175, ["turquoise"] = 172, ["cyan"] = 188, ["aqua"] = 185,
        ["blue"] = 215, ["azure"] = 205, ["sapphire"] = 222, ["navy"] = 232, ["indigo"] = 250,
        ["purple"] = 275, ["violet"] = 270, ["lavender"] = 265, ["amethyst"] = 280,
        ["magenta"] = 305, ["fuchsia"] = 310, ["pink"] = 335, ["rose"] = 340,
    };

    // Scene words imply a palette when no colour is named.
    private static readonly Dictionary<string, float> ImpliedHues = new(StringComparer.Ordinal)
    {
        ["forest"] = 125, ["jungle"] = 115, ["woods"] = 120, ["ocean"] = 205, ["sea"] = 200,
        ["desert"] = 35, ["dunes"] = 33, ["snow"] = 205, ["winter"] = 210, ["ice"] = 195,
        ["fire"] = 12, ["lava"] = 8, ["volcano"] = 10, ["space"] = 260, ["galaxy"] = 270,
        ["nebula"] = 290, ["cyberpunk"] = 300, ["autumn"] = 28, ["spring"] = 110,
    };

    private static readonly HashSet<string> NightWords =
        ["night", "midnight", "starry", "stars", "moon", "moonlit", "moonlight", "galaxy", "space", "nebula", "cosmos", "dark"];

    private static readonly HashSet<string> DuskWords =
        ["sunset", "sunrise", "dusk", "dawn", "twilight", "evening"];

    private static readonly HashSet<string> DayWords = ["day", "noon", "morning", "sunny", "daylight", "bright"];

    private static readonly (SceneElements Element, string[] Words)[] ElementWords =
    [
        (SceneElements.Mountains, ["mountain", "mountains", "peak", "peaks", "hill", "hills", "valley", "landscape", "alps", "ridge", "canyon", "desert", "dunes", "volcano"]),
        (SceneElements.Water, ["ocean", "sea", "beach", "lake", "water", "river", "wave", "waves", "coast", "harbor", "harbour", "reflection", "island", "shore"]),
        (SceneElements.City, ["city", "skyline", "town", "street", "buildings", "building", "urban", "downtown", "metropolis", "cyberpunk", "skyscraper", "skyscrapers"]),
        (SceneElements.Forest, ["forest", "tree", "trees", "woods", "jungle", "pine", "pines"]),
        (SceneElements.Abstract, ["abstract", "pattern", "geometric", "shapes", "circles", "bubbles", "bokeh", "dots", "orbs"]),
        (SceneElements.Space, ["space", "galaxy", "nebula", "cosmos", "planet", "planets", "universe"]),
    ];

    // A negative-prompt word removes these elements.
    private static readonly Dictionary<string, SceneElements> Removals = new(StringComparer.Ordinal)
    {
        ["sun"] = SceneElements.Celestial, ["moon"] = SceneElements.Celestial, ["sunlight"] = SceneElements.Celestial,
        ["circle"] = SceneElements.Celestial | SceneElements.Abstract, ["circles"] = SceneElements.Celestial | SceneElements.Abstract,
        ["star"] = SceneElements.Stars, ["stars"] = SceneElements.Stars,
        ["cloud"] = SceneElements.Clouds, ["clouds"] = SceneElements.Clouds,
        ["mountain"] = SceneElements.Mountains, ["mountains"] = SceneElements.Mountains, ["hills"] = SceneElements.Mountains,
        ["water"] = SceneElements.Water, ["ocean"] = SceneElements.Water, ["sea"] = SceneElements.Water, ["lake"] = SceneElements.Water,
        ["city"] = SceneElements.City, ["buildings"] = SceneElements.City, ["skyline"] = SceneElements.City,
        ["tree"] = SceneElements.Forest, ["trees"] = SceneElements.Forest, ["forest"] = SceneElements.Forest,
        ["shapes"] = SceneElements.Abstract, ["bubbles"] = SceneElements.Abstract, ["abstract"] = SceneElements.Abstract,
        ["planet"] = SceneElements.Space, ["planets"] = SceneElements.Space,
        ["noise"] = SceneElements.Grain, ["grain"] = SceneElements.Grain, ["grainy"] = SceneElements.Grain,
        ["vignette"] = SceneElements.Vignette,
    };

    public static SceneRecipe From(string prompt, string? negativePrompt, long seed)
    {
        var ordered = WordList(prompt);
        var words = new HashSet<string>(ordered, StringComparer.Ordinal);
        var unwantedOrdered = WordList(negativePrompt);
        var unwanted = new HashSet<string>(unwantedOrdered, StringComparer.Ordinal);
        var root = RootOf(ordered, seed);
        var random = new SplitMix64(root);
        var palette = random.Fork(Feature.Palette);
        var layout = random.Fork(Feature.Layout);

        var hue = FirstMatch(ordered, ColorHues) ?? FirstMatch(ordered, ImpliedHues) ?? palette.Range(0, 360);
        // Nudged per seed so variations of one prompt are siblings, not clones.
        hue = Wrap(hue + palette.Range(-12, 12));
        foreach (var word in unwantedOrdered)
        {
            if (ColorHues.TryGetValue(word, out var banned) && HueDistance(hue, banned) < 50)
            {
                hue = Wrap(hue + 180);
            }
        }

        var (saturation, lightness) = (palette.Range(55, 80), 0f);
        if (words.Overlaps(["pastel", "soft", "pale", "muted"]))
        {
            (saturation, lightness) = (35, 12);
        }
        else if (words.Overlaps(["vivid", "vibrant", "neon", "saturated", "cyberpunk"]))
        {
            saturation = 92;
        }
        else if (words.Overlaps(["monochrome", "gray", "grey", "black", "white", "foggy", "fog", "misty"]))
        {
            saturation = 12;
        }

        var time = words.Overlaps(NightWords) ? TimeOfDay.Night
            : words.Overlaps(DuskWords) ? TimeOfDay.Dusk
            : words.Overlaps(DayWords) ? TimeOfDay.Day
            : layout.NextDouble() switch { < 0.55 => TimeOfDay.Day, < 0.8 => TimeOfDay.Dusk, _ => TimeOfDay.Night };
        if (time == TimeOfDay.Night && unwanted.Overlaps(["night", "dark"]))
        {
            time = TimeOfDay.Day;
        }

        var elements = SceneElements.None;
        foreach (var (element, elementWords) in ElementWords)
        {
            if (words.Overlaps(elementWords))
            {
                elements |= element;
            }
        }

        if (elements == SceneElements.None)
        {
            elements = layout.NextDouble() switch
            {
                < 0.30 => SceneElements.Mountains,
                < 0.50 => SceneElements.Mountains | SceneElements.Water,
                < 0.60 => SceneElements.Water,
                < 0.75 => SceneElements.Mountains | SceneElements.Forest,
                < 0.87 => SceneElements.City,
                _ => SceneElements.Abstract,
            };
        }

        elements |= SceneElements.Celestial | SceneElements.Grain | SceneElements.Vignette;
        elements |= time == TimeOfDay.Night ? SceneElements.Stars : SceneElements.Clouds;
        foreach (var word in unwanted)
        {
            if (Removals.TryGetValue(word, out var removed))
            {
                elements &= ~removed;
            }
        }

        var neon = words.Overlaps(["neon", "cyberpunk", "synthwave", "vaporwave"]);
        return new SceneRecipe(root, hue, saturation, lightness, time, elements, neon);
    }

    public bool Has(SceneElements element) => (Elements & element) != 0;

    /// <summary>Lowercase words of letters and digits, in order: punctuation, spacing and case do not change the picture.</summary>
    private static List<string> WordList(string? text)
    {
        var words = new List<string>();
        if (string.IsNullOrEmpty(text))
        {
            return words;
        }

        var current = new StringBuilder();
        foreach (var c in text.Normalize(NormalizationForm.FormC))
        {
            if (char.IsLetterOrDigit(c))
            {
                current.Append(char.ToLowerInvariant(c));
            }
            else if (current.Length > 0)
            {
                words.Add(current.ToString());
                current.Clear();
            }
        }

        if (current.Length > 0)
        {
            words.Add(current.ToString());
        }

        return words;
    }

    // SHA-256, not string.GetHashCode: that one is randomised per process and would break determinism.
    private static ulong RootOf(List<string> words, long seed)
    {
        var text = $"{BuiltinProviderAdapter.ModelId}\n{string.Join(' ', words)}\n{seed}";
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), digest);
        return BinaryPrimitives.ReadUInt64LittleEndian(digest);
    }

    /// <summary>The hue of the first word, in prompt order, that names one.</summary>
    private static float? FirstMatch(List<string> words, Dictionary<string, float> hues)
    {
        foreach (var word in words)
        {
            if (hues.TryGetValue(word, out var hue))
            {
                return hue;
            }
        }

        return null;
    }

    private static float Wrap(float hue) => ((hue % 360) + 360) % 360;

    private static float HueDistance(float a, float b)
    {
        var d = Math.Abs(a - b) % 360;
        return d > 180 ? 360 - d : d;
    }
}
