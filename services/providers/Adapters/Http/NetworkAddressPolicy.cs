using System.Net;
using System.Net.Sockets;

namespace ImageGen.Providers.Adapters.Http;

/// <summary>
/// Which addresses a result download may not connect to: everything that is not the public internet.
/// A provider (or whoever can influence its answer) must not make the worker fetch from its own
/// network: cloud metadata (169.254.169.254), the cluster's services, the host's loopback.
/// </summary>
public static class NetworkAddressPolicy
{
    private static readonly (IPAddress Network, int PrefixLength)[] BlockedV4 =
    [
        (IPAddress.Parse("0.0.0.0"), 8),        // "this network", the unspecified address
        (IPAddress.Parse("10.0.0.0"), 8),       // private
        (IPAddress.Parse("100.64.0.0"), 10),    // carrier-grade NAT
        (IPAddress.Parse("127.0.0.0"), 8),      // loopback
        (IPAddress.Parse("169.254.0.0"), 16),   // link-local, cloud metadata
        (IPAddress.Parse("172.16.0.0"), 12),    // private
        (IPAddress.Parse("192.0.0.0"), 24),     // IETF protocol assignments
        (IPAddress.Parse("192.168.0.0"), 16),   // private
        (IPAddress.Parse("198.18.0.0"), 15),    // benchmarking
        (IPAddress.Parse("224.0.0.0"), 4),      // multicast
        (IPAddress.Parse("240.0.0.0"), 4),      // reserved, broadcast
    ];

    private static readonly (IPAddress Network, int PrefixLength)[] BlockedV6 =
    [
        (IPAddress.Parse("fc00::"), 7),         // unique local
        (IPAddress.Parse("fe80::"), 10),        // link-local
        (IPAddress.Parse("fec0::"), 10),        // site-local (deprecated, still routable inside some networks)
        (IPAddress.Parse("ff00::"), 8),         // multicast
        (IPAddress.Parse("100::"), 64),         // discard-only
    ];

    private static readonly IPAddress Nat64 = IPAddress.Parse("64:ff9b::");
    private static readonly IPAddress SixToFour = IPAddress.Parse("2002::");

    /// <summary>True for loopback, private, link-local, CGNAT, unique-local, multicast, unspecified and reserved addresses, in any IPv4-in-IPv6 form.</summary>
    public static bool IsBlocked(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return BlockedV4.Any(b => InNetwork(address, b.Network, b.PrefixLength));
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return true;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return IsBlocked(address.MapToIPv4());
        }

        if (address.Equals(IPAddress.IPv6Loopback) || address.Equals(IPAddress.IPv6None))
        {
            return true;
        }

        var bytes = address.GetAddressBytes();
        // IPv4-compatible (::a.b.c.d, deprecated) and NAT64 (64:ff9b::a.b.c.d) reach the embedded IPv4 address.
        if (bytes.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0 || InNetwork(address, Nat64, 96))
        {
            return IsBlocked(new IPAddress(bytes.AsSpan(12, 4)));
        }

        // 6to4 (2002:a.b.c.d::/48) tunnels to the embedded IPv4 address.
        if (InNetwork(address, SixToFour, 16))
        {
            return IsBlocked(new IPAddress(bytes.AsSpan(2, 4)));
        }

        return BlockedV6.Any(b => InNetwork(address, b.Network, b.PrefixLength));
    }

    private static bool InNetwork(IPAddress address, IPAddress network, int prefixLength)
    {
        if (address.AddressFamily != network.AddressFamily)
        {
            return false;
        }

        Span<byte> a = stackalloc byte[16];
        Span<byte> n = stackalloc byte[16];
        address.TryWriteBytes(a, out var length);
        network.TryWriteBytes(n, out _);
        var whole = prefixLength / 8;
        if (!a[..whole].SequenceEqual(n[..whole]))
        {
            return false;
        }

        var rest = prefixLength % 8;
        if (rest == 0 || whole >= length)
        {
            return true;
        }

        var mask = (byte)(0xFF << (8 - rest));
        return (a[whole] & mask) == (n[whole] & mask);
    }
}
