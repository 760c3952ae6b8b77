package dev.loopline.mcp.transport;

import dev.loopline.mcp.rpc.McpError;
import org.junit.jupiter.api.Test;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RequestStatesTest {
    @Test
    void aStateOpensOnlyForItsCallerMethodAndTargetUntilItExpires() {
        AtomicLong now = new AtomicLong(1_000_000);
        byte[] key = new SecureRandom().generateSeed(32);
        RequestStates states = new RequestStates(key, Duration.ofMinutes(15), now::get);
        String sealed = states.seal("t/u", "tools/call", "deploy", "step-2");
        assertEquals("step-2", states.open(sealed, "t/u", "tools/call", "deploy"));
        assertEquals("step-2", new RequestStates(key, Duration.ofMinutes(15), now::get).open(sealed, "t/u", "tools/call", "deploy"),
                "another replica with the same secret opens it");
        for (String[] wrong : new String[][]{{"t/other", "tools/call", "deploy"}, {"t/u", "prompts/get", "deploy"}, {"t/u", "tools/call", "rollback"}}) {
            McpError e = assertThrows(McpError.class, () -> states.open(sealed, wrong[0], wrong[1], wrong[2]));
            assertEquals(McpError.INVALID_PARAMS, e.code());
        }
        String[] parts = sealed.split("\\.");
        String forged = Base64.getUrlEncoder().withoutPadding().encodeToString(
                ("{\"p\":\"t/u\",\"m\":\"tools/call\",\"t\":\"deploy\",\"exp\":9999999999999,\"s\":\"admin\"}").getBytes()) + "." + parts[1];
        assertThrows(McpError.class, () -> states.open(forged, "t/u", "tools/call", "deploy"));
        assertThrows(McpError.class, () -> states.open("not-a-state", "t/u", "tools/call", "deploy"));
        assertThrows(McpError.class, () -> new RequestStates(new SecureRandom().generateSeed(32), Duration.ofMinutes(15), now::get)
                .open(sealed, "t/u", "tools/call", "deploy"), "another secret");
        now.addAndGet(Duration.ofMinutes(16).toMillis());
        assertThrows(McpError.class, () -> states.open(sealed, "t/u", "tools/call", "deploy"), "expired");
    }
}
