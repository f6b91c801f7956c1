using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Portal.Notifications;

/// <summary>
/// Where the portal may post webhooks. By default not to its own network: loopback, link-local (which holds the cloud
/// metadata service at 169.254.169.254), private, carrier-grade NAT, unique-local, unspecified and multicast addresses
/// are refused, unless <see cref="NotificationsOptions.AllowPrivateTargets"/> is set. The URL is checked when a hook is
/// made, and every address is checked again when a delivery connects (a name may resolve elsewhere later: DNS rebinding).
/// </summary>
public static class WebhookTargets
{
    /// <summary>The field message for a URL that names a refused address.</summary>
    public static string Refusal(string what) =>
        $"The URL points at {what}, inside the portal's own network: webhooks go to public addresses only " +
        $"(an operator can allow private targets with {NotificationsOptions.Section}:{nameof(NotificationsOptions.AllowPrivateTargets)}).";

    /// <summary>Why a URL's host is refused as written (an address literal or a local name), or null.</summary>
    public static string? RefusedHost(Uri uri)
    {
        var host = uri.IdnHost.Trim('[', ']').TrimEnd('.');
        if (IPAddress.TryParse(host, out var address))
        {
            address = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
            return Refused(address) is { } kind ? Refusal($"{kind} address {address}") : null;
        }

        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
            || host.Equals("metadata.google.internal", StringComparison.OrdinalIgnoreCase)
            ? Refusal($"the local name {host}")
            : null;
    }

    /// <summary>What kind of internal address this is (for the message), or null for a public one.</summary>
    public static string? Refused(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address))
        {
            return "the loopback";
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b switch
            {
                [169, 254, ..] => "the link-local (cloud metadata)",
                [10, ..] or [172, >= 16 and <= 31, ..] or [192, 168, ..] => "the private",
                [100, >= 64 and <= 127, ..] => "the carrier-grade NAT",
                [0, ..] => "the unspecified",
                [>= 224, ..] => "a multicast or reserved",
                _ => null,
            };
        }

        if (address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.IPv6None))
        {
            return "the unspecified";
        }

        if (address.IsIPv6LinkLocal || address.IsIPv6SiteLocal)
        {
            return "the link-local";
        }

        if (address.IsIPv6UniqueLocal)
        {
            return "the unique-local (private)";
        }

        return address.IsIPv6Multicast ? "a multicast" : null;
    }

    /// <summary>
    /// Connects a delivery: resolves the host, refuses internal addresses (unless allowed) and connects to the address it
    /// checked, so that a second lookup cannot swap it.
    /// </summary>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> Connect(IOptionsMonitor<NotificationsOptions> options) =>
        async (context, cancellationToken) =>
        {
            var endpoint = context.DnsEndPoint;
            var addresses = IPAddress.TryParse(endpoint.Host, out var literal)
                ? [literal]
                : await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken);
            if (!options.CurrentValue.AllowPrivateTargets)
            {
                var refused = addresses.Select(a => (Address: a, Kind: Refused(a))).FirstOrDefault(a => a.Kind is not null);
                if (refused.Kind is not null)
                {
                    throw new RefusedTargetException(Refusal($"{refused.Kind} address {refused.Address} ({endpoint.Host} resolves to it)"));
                }
            }

            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(addresses, endpoint.Port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };
}

/// <summary>A delivery refused because its host resolves to an internal address; the message says which and why.</summary>
public sealed class RefusedTargetException(string message) : Exception(message);
