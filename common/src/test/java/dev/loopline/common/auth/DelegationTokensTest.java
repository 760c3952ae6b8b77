package dev.loopline.common.auth;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DelegationTokensTest {
    @Test
    void mintsTokensOnlyItsOwnSecretAccepts(@TempDir Path dir) throws Exception {
        DelegationTokens tokens = DelegationTokens.fromSettings(null, dir);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("internal.secret"))));
        Principal who = new Principal("tenant-a", "user-1", "api_key");
        String token = tokens.mint(who, Duration.ofMinutes(5));
        Principal back = tokens.verify(token).orElseThrow();
        assertEquals("tenant-a", back.tenantId());
        assertEquals("user-1", back.userId());
        assertEquals("delegated", back.method());

        // The same data dir gives the same secret (a restart); another secret refuses the token.
        assertTrue(DelegationTokens.fromSettings(null, dir).verify(token).isPresent());
        assertTrue(DelegationTokens.fromSettings("another-secret-of-at-least-32-bytes!!", dir).verify(token).isEmpty());

        // Tampering with the payload (another tenant) or the MAC, and expiry, are refused.
        String[] parts = token.split("\\.");
        String forged = "lld." + Base64.getUrlEncoder().withoutPadding().encodeToString(
                "{\"t\":\"tenant-b\",\"u\":\"user-1\",\"exp\":9999999999}".getBytes()) + "." + parts[2];
        assertTrue(tokens.verify(forged).isEmpty());
        assertTrue(tokens.verify(token.substring(0, token.length() - 2) + "xx").isEmpty());
        assertTrue(tokens.verify(tokens.mint(who, Duration.ofSeconds(-5))).isEmpty());
        assertTrue(tokens.verify("lld.garbage").isEmpty());
    }
}
