package dev.loopline.mcp.tools.websearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.loopline.common.http.OutboundHttp;
import dev.loopline.common.json.Json;
import dev.loopline.mcp.tools.Tool;
import dev.loopline.mcp.tools.ToolContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * web_search against local fixture servers that answer in SearXNG's and Serper's real response
 * formats (bodies as those services send them), including their failure modes.
 */
class WebSearchBackendsTest {
    static HttpServer server;
    static String base;
    static final OutboundHttp http = new OutboundHttp(Duration.ofSeconds(2), Duration.ofSeconds(5));
    static final AtomicReference<String> searxngMode = new AtomicReference<>("ok");
    static final AtomicReference<String> serperMode = new AtomicReference<>("ok");
    static final AtomicInteger searxngHits = new AtomicInteger();
    static final AtomicInteger serperHits = new AtomicInteger();
    static final AtomicReference<String> lastSearxngQuery = new AtomicReference<>();
    static final AtomicReference<String> lastSerperBody = new AtomicReference<>();
    static final AtomicReference<String> lastSerperKey = new AtomicReference<>();

    static final String SEARXNG_OK = """
            {"query": "tide tables", "number_of_results": 0, "results": [
              {"url": "https://www.tides.example.org/tables", "title": "Tide tables for the coast", "content": "High and low water times for every port.",
               "engine": "duckduckgo", "parsed_url": ["https", "www.tides.example.org", "/tables", "", "", ""], "template": "default.html",
               "engines": ["duckduckgo", "brave"], "positions": [1, 2], "publishedDate": "2026-11-20T08:00:00", "score": 4.0, "category": "general"},
              {"url": "https://other.example.com/tides", "title": "Tides elsewhere", "content": "Another page.", "engine": "brave",
               "engines": ["brave"], "positions": [3], "score": 1.0, "category": "general"}],
             "answers": [], "corrections": [], "infoboxes": [], "suggestions": ["tide tables uk"], "unresponsive_engines": []}""";
    static final String SEARXNG_BLOCKED = """
            {"query": "tide tables", "number_of_results": 0, "results": [], "answers": [], "corrections": [], "infoboxes": [],
             "suggestions": [], "unresponsive_engines": [["google", "CAPTCHA"], ["duckduckgo", "timeout"]]}""";
    static final String SERPER_OK = """
            {"searchParameters": {"q": "tide tables", "type": "search", "engine": "google"},
             "organic": [{"title": "Tide Times and Tide Charts", "link": "https://www.tide-forecast.example.com/", "snippet": "Tide tables for 1000+ locations.",
                          "date": "Nov 21, 2026", "position": 1},
                         {"title": "Admiralty EasyTide", "link": "https://easytide.example.gov/", "snippet": "Official tidal predictions.", "position": 2}],
             "peopleAlsoAsk": [], "relatedSearches": [{"query": "tide times today"}], "credits": 1}""";

    @BeforeAll
    static void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/searxng/search", ex -> {
            searxngHits.incrementAndGet();
            lastSearxngQuery.set(ex.getRequestURI().getRawQuery());
            switch (searxngMode.get()) {
                case "ok" -> send(ex, 200, SEARXNG_OK);
                case "blocked" -> send(ex, 200, SEARXNG_BLOCKED);
                case "forbidden" -> send(ex, 403, "<html><body>403 Forbidden</body></html>");
                default -> send(ex, 429, "Too Many Requests");
            }
        });
        server.createContext("/serper/search", ex -> {
            serperHits.incrementAndGet();
            lastSerperKey.set(ex.getRequestHeaders().getFirst("X-API-KEY"));
            lastSerperBody.set(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            switch (serperMode.get()) {
                case "ok" -> send(ex, 200, SERPER_OK);
                case "badkey" -> send(ex, 403, "{\"message\":\"Unauthorized.\",\"statusCode\":403}");
                default -> send(ex, 400, "{\"message\":\"Query not allowed.\",\"statusCode\":400}");
            }
        });
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterAll
    static void stop() {
        server.stop(0);
        http.close();
    }

    @BeforeEach
    void reset() {
        searxngMode.set("ok");
        serperMode.set("ok");
    }

    static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", body.startsWith("{") ? "application/json" : "text/html");
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(b);
        }
    }

    static final AtomicLong now = new AtomicLong(1_000_000);

    static WebSearchTool tool(ResultCache cache) {
        LocalCorpus corpus = new LocalCorpus(List.of());
        return new WebSearchTool(new BackendChain(List.of(new SearxngBackend(http.client(), base + "/searxng"),
                new SerperBackend(http.client(), base + "/serper", "serper-test-key"), new LocalBackend(corpus)),
                2, Duration.ofSeconds(30), now::get), cache);
    }

    static ObjectNode search(WebSearchTool t, String args) throws Tool.ToolFailure {
        return t.call(Json.parse(args), ToolContext.none());
    }

    @Test
    void searxngAnswersFirstWithItsEngineAndFilters() throws Exception {
        WebSearchTool t = tool(ResultCache.inProcess(Duration.ofMinutes(5), 100));
        ObjectNode r = search(t, "{\"query\":\"tide tables\",\"max_results\":5,\"time_range\":\"week\",\"allowed_domains\":[\"example.org\"]}");
        assertEquals("searxng", r.get("backend").asText());
        assertEquals(1, r.get("results").size(), r.toString());
        JsonNode first = r.get("results").get(0);
        assertEquals("https://www.tides.example.org/tables", first.get("url").asText());
        assertEquals("searxng:duckduckgo", first.get("source").asText());
        assertEquals("2026-11-20T08:00:00", first.get("published_date").asText());
        assertTrue(lastSearxngQuery.get().contains("format=json"));
        assertTrue(lastSearxngQuery.get().contains("time_range=week"));
        assertTrue(lastSearxngQuery.get().contains("site%3Aexample.org") || lastSearxngQuery.get().contains("site:example.org"),
                lastSearxngQuery.get());
    }

    @Test
    void aBlockedOrForbiddenSearxngFallsBackToSerper() throws Exception {
        for (String mode : List.of("blocked", "forbidden", "limited")) {
            searxngMode.set(mode);
            WebSearchTool t = tool(ResultCache.inProcess(Duration.ofMinutes(5), 100));
            ObjectNode r = search(t, "{\"query\":\"tide tables\",\"time_range\":\"day\"}");
            assertEquals("serper", r.get("backend").asText(), mode);
            assertEquals("https://www.tide-forecast.example.com/", r.get("results").get(0).get("url").asText());
            assertEquals("Nov 21, 2026", r.get("results").get(0).get("published_date").asText());
            assertEquals("serper-test-key", lastSerperKey.get());
            JsonNode body = Json.parse(lastSerperBody.get());
            assertEquals("qdr:d", body.get("tbs").asText());
        }
    }

    @Test
    void theUsersLocationReachesSerperAsCountryAndPlaceAndSeparatesCachedResults() throws Exception {
        searxngMode.set("blocked");
        WebSearchTool t = tool(ResultCache.inProcess(Duration.ofMinutes(5), 100));
        search(t, "{\"query\":\"tide tables\",\"user_location\":{\"country\":\"GB\",\"city\":\"Brighton\",\"region\":\"East Sussex\"}}");
        JsonNode body = Json.parse(lastSerperBody.get());
        assertEquals("gb", body.get("gl").asText());
        assertEquals("Brighton, East Sussex, GB", body.get("location").asText());
        int hits = serperHits.get();
        ObjectNode elsewhere = search(t, "{\"query\":\"tide tables\",\"user_location\":{\"country\":\"FR\"}}");
        assertEquals(false, elsewhere.get("cached").asBoolean(), "another place is another search");
        assertEquals(hits + 1, serperHits.get());
        assertEquals("fr", Json.parse(lastSerperBody.get()).get("gl").asText());
        search(t, "{\"query\":\"tide tables\"}");
        assertFalse(Json.parse(lastSerperBody.get()).has("gl"), "no location, no gl");
    }

    @Test
    void whenEveryRemoteBackendFailsTheLocalCorpusAnswersAndReasonsAreKept() throws Exception {
        searxngMode.set("blocked");
        serperMode.set("badkey");
        WebSearchTool t = tool(ResultCache.inProcess(Duration.ofMinutes(5), 100));
        ObjectNode r = search(t, "{\"query\":\"prefix caching\"}");
        assertEquals("local", r.get("backend").asText());
        BackendChain remoteOnly = new BackendChain(List.of(new SearxngBackend(http.client(), base + "/searxng"),
                new SerperBackend(http.client(), base + "/serper", "k")), 5, Duration.ofSeconds(30), now::get);
        Tool.ToolFailure f = assertThrows(Tool.ToolFailure.class, () -> new WebSearchTool(remoteOnly,
                ResultCache.inProcess(Duration.ofMinutes(1), 10)).call(Json.parse("{\"query\":\"x\"}"), ToolContext.none()));
        assertTrue(f.getMessage().contains("CAPTCHA") && f.getMessage().contains("Unauthorized."), f.getMessage());
    }

    @Test
    void aFailingBackendIsSkippedWhileItsCircuitIsOpen() throws Exception {
        searxngMode.set("forbidden");
        WebSearchTool t = tool(ResultCache.inProcess(Duration.ofMinutes(5), 100));
        int before = searxngHits.get();
        for (int i = 0; i < 5; i++) {
            search(t, "{\"query\":\"q" + i + "\"}");
        }
        assertEquals(2, searxngHits.get() - before, "searxng should be asked until its circuit opens (2 failures), then skipped");
        now.addAndGet(31_000);
        searxngMode.set("ok");
        assertEquals("searxng", search(t, "{\"query\":\"after cooldown\"}").get("backend").asText());
    }

    @Test
    void resultsAreCachedInProcessAndInRedis() throws Exception {
        for (ResultCache cache : List.of(ResultCache.inProcess(Duration.ofMinutes(5), 100),
                ResultCache.redis("redis://127.0.0.1:6379", "loopline-test-" + System.nanoTime() + ":", Duration.ofMinutes(1)))) {
            WebSearchTool t = tool(cache);
            int before = searxngHits.get();
            ObjectNode first = search(t, "{\"query\":\"Tide   Tables\"}");
            ObjectNode second = search(t, "{\"query\":\"tide tables\"}");
            assertFalse(first.get("cached").asBoolean());
            assertTrue(second.get("cached").asBoolean());
            assertEquals(first.get("results"), second.get("results"));
            assertEquals(1, searxngHits.get() - before);
            cache.close();
        }
    }

    @Test
    void argumentsAreValidated() {
        WebSearchTool t = tool(ResultCache.inProcess(Duration.ofMinutes(5), 100));
        for (String bad : List.of("{}", "{\"query\":\"\"}", "{\"query\":\"x\",\"max_results\":0}", "{\"query\":\"x\",\"time_range\":\"decade\"}",
                "{\"query\":\"x\",\"allowed_domains\":[\"not a domain\"]}", "{\"query\":\"x\",\"allowed_domains\":\"example.com\"}",
                "{\"query\":\"x\",\"user_location\":\"Paris\"}", "{\"query\":\"x\",\"user_location\":{\"country\":\"France\"}}")) {
            assertThrows(Tool.ToolFailure.class, () -> search(t, bad), bad);
        }
    }
}
