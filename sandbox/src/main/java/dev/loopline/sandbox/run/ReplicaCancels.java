package dev.loopline.sandbox.run;

import dev.loopline.common.cluster.Signals;
import dev.loopline.common.json.Json;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Cancel by {@code run_id} on whichever replica the balancer sends it to. A run that is not running
 * here is asked for on the other replicas ({@link Signals}): the one running it kills it and says
 * so, and every replica remembers the cancel in case the run has not started yet (so a run started
 * after its cancel, anywhere, is refused). The answer waits at most {@code wait} for that word.
 */
public final class ReplicaCancels {
    static final String CANCEL = "sandbox.cancel";
    static final String CANCELLED = "sandbox.cancelled";
    private final Runner runner;
    private final Signals signals;
    private final Duration wait;
    private final Map<String, CompletableFuture<Boolean>> asked = new ConcurrentHashMap<>();

    public ReplicaCancels(Runner runner, Signals signals, Duration wait) {
        this.runner = runner;
        this.signals = signals;
        this.wait = wait;
        signals.subscribe(CANCEL, m -> {
            if (runner.cancel(m.path("tenant").asText(), m.path("run_id").asText())) {
                signals.publish(CANCELLED, Json.object().put("token", m.path("token").asText()));
            }
        });
        signals.subscribe(CANCELLED, m -> {
            CompletableFuture<Boolean> f = asked.get(m.path("token").asText());
            if (f != null) {
                f.complete(true);
            }
        });
    }

    /** Cancels the tenant's run; true when it was running, here or on another replica. */
    public boolean cancel(String tenant, String runId) throws InterruptedException {
        if (runner.cancel(tenant, runId)) {
            return true;
        }
        if (!signals.shared()) {
            return false;
        }
        String token = UUID.randomUUID().toString();
        CompletableFuture<Boolean> answer = new CompletableFuture<>();
        asked.put(token, answer);
        try {
            signals.publish(CANCEL, Json.object().put("tenant", tenant).put("run_id", runId).put("token", token));
            return answer.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            return false; // nobody runs it (yet): every replica refuses it if it starts
        } finally {
            asked.remove(token);
        }
    }
}
