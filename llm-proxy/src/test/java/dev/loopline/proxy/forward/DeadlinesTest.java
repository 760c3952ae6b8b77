package dev.loopline.proxy.forward;

import okhttp3.Call;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeadlinesTest {
    private final OkHttpClient client = new OkHttpClient();

    private Call call() {
        return client.newCall(new Request.Builder().url("http://127.0.0.1:9/").build());
    }

    @Test
    void anExpiredCallIsCancelledWithinATick() throws Exception {
        try (Deadlines d = new Deadlines(10)) {
            Call c = call();
            Deadlines.Armed a = d.arm(c, 50);
            Thread.sleep(20);
            assertFalse(c.isCanceled(), "not before its deadline");
            assertFalse(a.expired());
            long until = System.currentTimeMillis() + 2000;
            while (!c.isCanceled() && System.currentTimeMillis() < until) {
                Thread.sleep(5);
            }
            assertTrue(c.isCanceled(), "cancelled after its deadline");
            assertTrue(a.expired(), "marked expired, so a failed read is reported as a timeout");
        }
    }

    @Test
    void aDisarmedCallIsLeftAlone() throws Exception {
        try (Deadlines d = new Deadlines(10)) {
            Call c = call();
            Deadlines.Armed a = d.arm(c, 30);
            d.disarm(a);
            Thread.sleep(120);
            assertFalse(c.isCanceled());
            assertFalse(a.expired());
        }
    }
}
