package dev.loopline.sandbox.isolation;

import dev.loopline.common.config.Settings;
import dev.loopline.sandbox.api.SandboxLimits;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BubblewrapTest {
    @Test
    void missingBubblewrapRefusesWithInstallHelp() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Bubblewrap.find("/nonexistent"));
        assertTrue(e.getMessage().contains("apt-get install bubblewrap"), e.getMessage());
    }

    @Test
    void commandDropsRootAndUnsharesEverything() {
        List<String> c = new Bubblewrap("/usr/bin/bwrap", "/usr/bin/python3", Path.of("/tmp/b.py"), true,
                SandboxLimits.from(Settings.of(Map.of())), Path.of("/tmp/f.bpf")).command(61007);
        assertEquals(List.of("/bin/sh", "-c", Bubblewrap.LAUNCHER, "loopline-sandbox"), c.subList(0, 4), "the launcher joins the cgroups first");
        assertTrue(c.subList(4, 8).containsAll(List.of("setpriv", "--reuid=61007", "--regid=61007", "--clear-groups")));
        assertEquals("3", c.get(c.indexOf("--seccomp") + 1), "the filter comes on fd 3");
        for (String flag : List.of("--unshare-all", "--disable-userns", "--die-with-parent", "--new-session", "--clearenv")) {
            assertTrue(c.contains(flag), flag);
        }
        assertTrue(c.indexOf("prlimit") < c.indexOf("/usr/bin/bwrap"), "limits are set before bubblewrap starts");
    }
}
