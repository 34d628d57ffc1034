namespace ImageGen.Providers.Adapters.Builtin;

/// <summary>
/// A tiny pseudo-random generator whose sequence is fixed by its seed on every platform and .NET version,
/// which <see cref="Random"/> does not promise. Each feature of a scene draws from its own stream
/// (<see cref="Fork"/>) so adding stars, or rendering at another size, never shifts the mountains.
/// </summary>
internal sealed class SplitMix64(ulong seed)
{
    private readonly ulong _seed = seed;
    private ulong _state = seed;

    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [min, max).</summary>
    public float Range(double min, double max) => (float)(min + (NextDouble() * (max - min)));

    /// <summary>Uniform integer in [minInclusive, maxExclusive).</summary>
    public int Next(int minInclusive, int maxExclusive) =>
        minInclusive + (int)(NextUInt64() % (ulong)(maxExclusive - minInclusive));

    public bool Chance(double probability) => NextDouble() < probability;

    /// <summary>An independent stream for one named feature, drawn from this generator's seed, not its position.</summary>
    public SplitMix64 Fork(Feature feature) => new(Mix(_seed ^ ((ulong)feature * 0xD1B54A32D192ED03UL)));

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

/// <summary>The streams a scene draws from; values are part of the output, so never renumber them.</summary>
internal enum Feature : ulong
{
    Palette = 1,
    Layout = 2,
    Celestial = 3,
    Stars = 4,
    Clouds = 5,
    Ridges = 6,
    Water = 7,
    City = 8,
    Forest = 9,
    Abstract = 10,
    Space = 11,
    Grain = 12,
}
