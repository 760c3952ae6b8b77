package dev.loopline.common.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Which addresses a client of user-given URLs (the scraper, remote MCP servers) may connect to: only public unicast ones. Blocked: loopback,
 * unspecified (0.0.0.0, ::), private (10/8, 172.16/12, 192.168/16), link-local (169.254/16 with
 * the cloud metadata address, fe80::/10), CGNAT (100.64/10), multicast, broadcast, reserved and
 * documentation ranges, benchmarking (198.18/15), IPv6 unique-local (fc00::/7), site-local
 * (fec0::/10), and IPv6 forms that embed an IPv4 address (IPv4-mapped ::ffff:0:0/96,
 * IPv4-compatible ::/96, NAT64 64:ff9b::/96, 6to4 2002::/16, Teredo 2001::/32), which are judged
 * by the address they embed. The check runs on the address actually being connected to, so every
 * spelling of a host (decimal, hex, octal, IDN, DNS names that resolve inward) ends up here.
 */
public final class AddressPolicy {
    private static final List<Cidr> BLOCKED_V4 = List.of(
            Cidr.parse("0.0.0.0/8"), Cidr.parse("10.0.0.0/8"), Cidr.parse("100.64.0.0/10"), Cidr.parse("127.0.0.0/8"),
            Cidr.parse("169.254.0.0/16"), Cidr.parse("172.16.0.0/12"), Cidr.parse("192.0.0.0/24"), Cidr.parse("192.0.2.0/24"),
            Cidr.parse("192.88.99.0/24"), Cidr.parse("192.168.0.0/16"), Cidr.parse("198.18.0.0/15"), Cidr.parse("198.51.100.0/24"),
            Cidr.parse("203.0.113.0/24"), Cidr.parse("224.0.0.0/4"), Cidr.parse("240.0.0.0/4"));
    private static final List<Cidr> BLOCKED_V6 = List.of(
            Cidr.parse("::/128"), Cidr.parse("::1/128"), Cidr.parse("fc00::/7"), Cidr.parse("fe80::/10"), Cidr.parse("fec0::/10"),
            Cidr.parse("ff00::/8"), Cidr.parse("2001:db8::/32"), Cidr.parse("100::/64"), Cidr.parse("2001:10::/28"));
    private final List<Cidr> allowed;

    /** {@code allowed}: CIDRs let through despite the rules (tests, an operator's own intranet). */
    public AddressPolicy(List<String> allowed) {
        List<Cidr> a = new ArrayList<>();
        for (String s : allowed) {
            a.add(Cidr.parse(s.trim()));
        }
        this.allowed = List.copyOf(a);
    }

    /** Why the address is refused, or null when it may be connected to. */
    public String refusal(InetAddress address) {
        for (Cidr c : allowed) {
            if (c.contains(address)) {
                return null;
            }
        }
        return blockedReason(address);
    }

    static String blockedReason(InetAddress address) {
        if (address instanceof Inet6Address v6) {
            byte[] b = v6.getAddress();
            InetAddress embedded = embeddedV4(b);
            if (embedded != null) {
                String inner = blockedReason(embedded);
                return inner == null ? null : inner + " (embedded in " + address.getHostAddress() + ")";
            }
            for (Cidr c : BLOCKED_V6) {
                if (c.contains(address)) {
                    return address.getHostAddress() + " is not a public address (" + c + ")";
                }
            }
            return null;
        }
        if (address.getAddress()[0] == (byte) 255 && address.getHostAddress().equals("255.255.255.255")) {
            return "255.255.255.255 is the broadcast address";
        }
        for (Cidr c : BLOCKED_V4) {
            if (c.contains(address)) {
                return address.getHostAddress() + " is not a public address (" + c + ")";
            }
        }
        return null;
    }

    /** The IPv4 address inside IPv4-mapped, IPv4-compatible, NAT64, 6to4 and Teredo IPv6 forms. */
    static InetAddress embeddedV4(byte[] b) {
        try {
            boolean zeros80 = true;
            for (int i = 0; i < 10; i++) {
                zeros80 &= b[i] == 0;
            }
            if (zeros80 && ((b[10] == (byte) 0xff && b[11] == (byte) 0xff) || (b[10] == 0 && b[11] == 0 && !allZero(b, 12, 16) && !isLoopbackV6(b)))) {
                return Inet4Address.getByAddress(new byte[]{b[12], b[13], b[14], b[15]});
            }
            if (b[0] == 0x00 && b[1] == 0x64 && b[2] == (byte) 0xff && b[3] == (byte) 0x9b && allZero(b, 4, 12)) {
                return Inet4Address.getByAddress(new byte[]{b[12], b[13], b[14], b[15]});
            }
            if (b[0] == 0x20 && b[1] == 0x02) {
                return Inet4Address.getByAddress(new byte[]{b[2], b[3], b[4], b[5]});
            }
            if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0) {
                // Teredo: the client's IPv4 address is stored inverted in the last 32 bits.
                return Inet4Address.getByAddress(new byte[]{(byte) ~b[12], (byte) ~b[13], (byte) ~b[14], (byte) ~b[15]});
            }
            return null;
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static boolean allZero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean isLoopbackV6(byte[] b) {
        return allZero(b, 0, 15) && b[15] == 1;
    }

    /** An address range. */
    record Cidr(byte[] network, int prefix, String text) {
        static Cidr parse(String s) {
            int slash = s.indexOf('/');
            try {
                byte[] net = InetAddress.getByName(slash < 0 ? s : s.substring(0, slash)).getAddress();
                int prefix = slash < 0 ? net.length * 8 : Integer.parseInt(s.substring(slash + 1));
                return new Cidr(net, prefix, s);
            } catch (UnknownHostException | NumberFormatException e) {
                throw new IllegalArgumentException("not an address range: " + s);
            }
        }

        boolean contains(InetAddress a) {
            byte[] b = a.getAddress();
            if (b.length != network.length) {
                return false;
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (b[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = 0xff << (8 - rest) & 0xff;
            return (b[full] & mask) == (network[full] & mask);
        }

        @Override
        public String toString() {
            return text;
        }
    }
}
