package dev.loopline.sandbox.isolation;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sandbox uids are unique on the host, across loopline processes: the probe found two processes
 * on one host handing out the same uids from 61000, so RLIMIT_NPROC and file ownership leaked
 * between their sandboxes.
 */
class UidSlotsTest {
    /** Run in a second JVM: takes {@code n} uids, prints them, holds them until its stdin closes. */
    public static void main(String[] args) throws Exception {
        UidSlots slots = new UidSlots(Integer.parseInt(args[0]), Integer.parseInt(args[1]), Path.of(args[2]));
        List<Integer> taken = new ArrayList<>();
        for (int i = 0; i < Integer.parseInt(args[1]); i++) {
            taken.add(slots.take());
        }
        System.out.println(taken);
        System.out.flush();
        System.in.read();
    }

    @Test
    void twoProcessesNeverHoldTheSameUid(@TempDir Path locks) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process other = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), UidSlotsTest.class.getName(),
                "61000", "5", locks.toString()).redirectErrorStream(true).start();
        try {
            String line = new BufferedReader(new InputStreamReader(other.getInputStream(), StandardCharsets.UTF_8)).readLine();
            assertEquals("[61000, 61001, 61002, 61003, 61004]", line, "the other process took the first five");
            UidSlots mine = new UidSlots(61000, 5, locks);
            Set<Integer> taken = new HashSet<>();
            for (int i = 0; i < 5; i++) {
                taken.add(mine.take());
            }
            assertEquals(Set.of(61005, 61006, 61007, 61008, 61009), taken, "none of the other process's");
            assertEquals(0, mine.available());
            mine.release(61005);
            assertEquals(61005, mine.take(), "a released uid is taken again");
        } finally {
            other.destroyForcibly().waitFor();
        }
        // The other process died: the kernel released its locks, so its uids are free again.
        UidSlots after = new UidSlots(61000, 1, locks);
        assertTrue(after.take() < 61005);
    }
}
