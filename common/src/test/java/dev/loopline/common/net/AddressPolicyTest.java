package dev.loopline.common.net;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

class AddressPolicyTest {
    static final AddressPolicy DEFAULT = new AddressPolicy(List.of());

    @Test
    void everyNonPublicRangeIsRefused() throws Exception {
        for (String a : List.of("127.0.0.1", "127.255.255.254", "0.0.0.0", "0.1.2.3", "10.0.0.1", "10.255.255.255", "172.16.0.1",
                "172.31.255.255", "192.168.1.1", "169.254.169.254", "169.254.0.1", "100.64.0.1", "100.127.255.255", "192.0.0.8",
                "192.0.2.1", "198.18.0.1", "198.19.255.255", "198.51.100.7", "203.0.113.9", "224.0.0.1", "239.255.255.250",
                "240.0.0.1", "255.255.255.255",
                "::1", "::", "fc00::1", "fd12:3456::1", "fe80::1", "fec0::1", "ff02::1", "2001:db8::1",
                "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1", "::10.0.0.1",
                "64:ff9b::a00:1", "64:ff9b::7f00:1", "2002:7f00:1::1", "2002:a9fe:a9fe::1", "2001:0:4136:e378:8000:63bf:80ff:fffe")) {
            assertNotNull(DEFAULT.refusal(InetAddress.getByName(a)), a + " must be refused");
        }
    }

    @Test
    void publicAddressesPass() throws Exception {
        for (String a : List.of("8.8.8.8", "1.1.1.1", "93.184.216.34", "172.32.0.1", "172.15.255.255", "100.128.0.1", "100.63.255.255",
                "192.169.0.1", "2606:4700:4700::1111", "2a00:1450:4001::200e", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1")) {
            assertNull(DEFAULT.refusal(InetAddress.getByName(a)), a + " must be allowed");
        }
    }

    @Test
    void anExplicitAllowListLetsARangeThrough() throws Exception {
        AddressPolicy p = new AddressPolicy(List.of("127.0.0.1/32", "10.1.0.0/16"));
        assertNull(p.refusal(InetAddress.getByName("127.0.0.1")));
        assertNull(p.refusal(InetAddress.getByName("10.1.2.3")));
        assertNotNull(p.refusal(InetAddress.getByName("127.0.0.2")));
        assertNotNull(p.refusal(InetAddress.getByName("10.2.0.1")));
    }
}
