package dev.loopline.common.observe;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.http.JsonBodies;
import dev.loopline.common.json.Json;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Supplier;

/**
 * {@code /health/live} (the process answers) and {@code /health/ready} (every readiness check
 * passes: what this replica needs to serve the routes it owns, such as its database and the peer
 * services it calls). Informational checks (the model upstreams, shared by every replica alike) are
 * shown with the others but never make a replica unready: a load balancer that dropped every
 * replica because the models are down would take the endpoints that need no model down with them.
 * Body shape follows MicroProfile Health.
 */
public final class Health implements HttpService {
    private final Map<String, Supplier<Boolean>> readiness = new ConcurrentSkipListMap<>();
    private final Map<String, Supplier<ObjectNode>> details = new ConcurrentSkipListMap<>();
    private final Map<String, Supplier<Boolean>> informational = new ConcurrentSkipListMap<>();

    public void addReadinessCheck(String name, Supplier<Boolean> check) {
        readiness.put(name, check);
    }

    /** A check whose {@code data} says more than up or down (e.g. a guarantee in force or not). */
    public void addReadinessCheck(String name, Supplier<Boolean> check, Supplier<ObjectNode> data) {
        readiness.put(name, check);
        details.put(name, data);
    }

    /** Shown in {@code /health/ready} (with {@code data.affects_readiness: false}), never failing it. */
    public void addInformationalCheck(String name, Supplier<Boolean> check, Supplier<ObjectNode> data) {
        informational.put(name, check);
        details.put(name, data);
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/live", (req, res) -> JsonBodies.send(res, 200, status("UP", Json.array())))
                .get("/ready", this::ready)
                .get("/", this::ready);
    }

    private void ready(ServerRequest req, ServerResponse res) {
        ArrayNode checks = Json.array();
        boolean allUp = true;
        for (var e : readiness.entrySet()) {
            boolean up;
            try {
                up = Boolean.TRUE.equals(e.getValue().get());
            } catch (RuntimeException ex) {
                up = false;
            }
            allUp &= up;
            ObjectNode c = checks.addObject().put("name", e.getKey()).put("status", up ? "UP" : "DOWN");
            Supplier<ObjectNode> data = details.get(e.getKey());
            if (data != null) {
                c.set("data", data.get());
            }
        }
        for (var e : informational.entrySet()) {
            boolean up;
            try {
                up = Boolean.TRUE.equals(e.getValue().get());
            } catch (RuntimeException ex) {
                up = false;
            }
            ObjectNode data = details.get(e.getKey()).get().deepCopy().put("affects_readiness", false);
            checks.addObject().put("name", e.getKey()).put("status", up ? "UP" : "DOWN").set("data", data);
        }
        JsonBodies.send(res, allUp ? 200 : 503, status(allUp ? "UP" : "DOWN", checks));
    }

    private static ObjectNode status(String status, ArrayNode checks) {
        ObjectNode body = Json.object();
        body.put("status", status);
        body.set("checks", checks);
        return body;
    }
}
