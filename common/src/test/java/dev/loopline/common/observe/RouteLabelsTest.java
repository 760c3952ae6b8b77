package dev.loopline.common.observe;

import dev.loopline.common.http.JsonBodies;
import dev.loopline.common.json.Json;
import dev.loopline.common.server.ServiceModule;
import dev.loopline.common.testing.TestServer;
import io.helidon.webserver.http.HttpRouting;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The metrics' route label comes from the routing table: no client-chosen path, answered 401,
 * 404 or 200, ever becomes a series of its own (the probe grew the heap by 95 MB and /metrics
 * to 45 MB with 155k such paths).
 */
class RouteLabelsTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** A module with one parameterised route. */
    static final class Things implements ServiceModule {
        @Override
        public String name() {
            return "things";
        }

        @Override
        public void routing(HttpRouting.Builder routing) {
            routing.get("/v1/things/{id}/parts/{part}", (req, res) -> JsonBodies.send(res, Json.object().put("ok", true)));
        }
    }

    private static int send(TestServer server, String method, String path, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.baseUrl() + path)).method(method, HttpRequest.BodyPublishers.noBody());
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void clientPathsNeverBecomeLabels() throws Exception {
        try (TestServer server = TestServer.start(Map.of(), p -> List.of(new Things()))) {
            for (int i = 0; i < 200; i++) {
                assertEquals(401, send(server, "GET", "/v1/z" + i, null));
                assertEquals(401, send(server, "POST", "/v1/z" + i + "/deeper", "not-a-key"));
                assertEquals(404, send(server, "GET", "/v1/z" + i, TestServer.API_KEY));
                assertEquals(404, send(server, "GET", "/other/" + i, null));
                assertEquals(200, send(server, "GET", "/v1/things/t" + i + "/parts/p" + i, TestServer.API_KEY));
            }
            send(server, "BREW", "/v1/things/t1/parts/p1", TestServer.API_KEY);
            String metrics = HTTP.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            Set<String> routes = new TreeSet<>();
            Set<String> methods = new TreeSet<>();
            Matcher m = Pattern.compile("(?m)^loopline_http_server_requests_seconds_count\\{(.*)} \\S+$").matcher(metrics);
            while (m.find()) {
                Matcher route = Pattern.compile("route=\"([^\"]*)\"").matcher(m.group(1));
                Matcher method = Pattern.compile("method=\"([^\"]*)\"").matcher(m.group(1));
                assertTrue(route.find() && method.find(), m.group(1));
                routes.add(route.group(1));
                methods.add(method.group(1));
            }
            assertEquals(Set.of("/v1/things/{id}/parts/{part}", RouteLabels.UNAUTHENTICATED, RouteLabels.UNMATCHED), routes, metrics);
            assertTrue(Set.of("GET", "POST", "other").containsAll(methods), methods.toString());
        }
    }

    @Test
    void aTemplateNamesTheBoundSegments() {
        assertEquals("/v1/files/{id}/content", RouteLabels.template("/v1/files/file-1/content", Map.of("id", List.of("file-1"))));
        assertEquals("/v1/vector_stores/{vs}/files/{file}", RouteLabels.template("/v1/vector_stores/vs_1/files/f_2",
                Map.of("vs", List.of("vs_1"), "file", List.of("f_2"))));
        assertEquals("/health/ready", RouteLabels.template("/health/ready", Map.of()));
    }

    @Test
    void theNumberOfRouteLabelsIsCappedWhateverTheCaller() {
        Metrics metrics = new Metrics();
        for (int i = 0; i < Metrics.MAX_ROUTES + 100; i++) {
            metrics.httpTimer("/r" + i, "GET", 200);
        }
        long series = metrics.registry().find("loopline_http_server_requests").timers().size();
        assertEquals(Metrics.MAX_ROUTES + 1, series, "the cap, and one 'other'");
    }
}
