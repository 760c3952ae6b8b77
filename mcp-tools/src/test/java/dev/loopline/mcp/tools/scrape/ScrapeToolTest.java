package dev.loopline.mcp.tools.scrape;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.loopline.common.http.OutboundHttp;
import dev.loopline.common.json.Json;
import dev.loopline.common.net.AddressPolicy;
import dev.loopline.mcp.tools.Tool;
import dev.loopline.mcp.tools.ToolContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The scrape tool against hostile fixture servers on 127.0.0.1. Loopback is refused unless a test
 * builds its tool with 127.0.0.1 explicitly allowed.
 */
class ScrapeToolTest {
    static HttpServer server;
    static int port;
    static final AtomicInteger hits = new AtomicInteger();
    static final CountDownLatch dripClosed = new CountDownLatch(1);
    /** Drip responses that have begun (the cancellation test waits for its own). */
    static final AtomicInteger dripsStarted = new AtomicInteger();
    static final OutboundHttp http = new OutboundHttp(Duration.ofSeconds(2), Duration.ofSeconds(10));

    static final String ARTICLE = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tides explained | Sea Blog</title>
            <meta property="og:title" content="Tides explained"><meta name="author" content="Ada Wave">
            <meta property="article:published_time" content="2024-05-01T10:00:00Z"></head>
            <body><nav><a href="/">Home</a> <a href="/about">About</a></nav>
            <header class="site-header"><div class="menu">Subscribe now</div></header>
            <div class="layout"><article class="post-content"><h1>Tides explained</h1>
            <p>Tides are the rise and fall of sea levels, caused by the combined effects of the gravity of the Moon and the Sun, and the rotation of the Earth.</p>
            <h2>Spring tides</h2>
            <p>When the Sun, the Moon and the Earth are aligned, at new and full moon, their pulls add up, and the tidal range is largest: these are the spring tides.</p>
            <p>At the quarter moons the pulls partly cancel, and the range is smallest: neap tides, which sailors watch just as closely.</p>
            </article>
            <aside class="sidebar"><h3>Related</h3><ul><li><a href="/waves">Waves 101</a></li><li><a href="/wind">Wind</a></li></ul></aside>
            <div id="comments" class="comments"><p>Great post, thanks a lot for writing this, it helped my exam!</p></div></div>
            <footer>Copyright Sea Blog, all rights reserved, cookie settings and imprint.</footer>
            <script>var tracking = "do not index";</script></body></html>""";

    @BeforeAll
    static void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            hits.incrementAndGet();
            route(ex);
        });
        server.setExecutor(Executors.newCachedThreadPool());
        server.start();
        port = server.getAddress().getPort();
    }

    @AfterAll
    static void stop() {
        server.stop(0);
        http.close();
    }

    static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        if (type != null) {
            ex.getResponseHeaders().set("Content-Type", type);
        }
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(body);
        }
    }

    static void route(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        switch (path) {
            case "/article" -> send(ex, 200, "text/html; charset=utf-8", ARTICLE.getBytes(StandardCharsets.UTF_8));
            case "/latin1" -> send(ex, 200, "text/html", ("<html><head><meta charset=\"windows-1252\"></head><body><p>Un café crème à Paris, "
                    + "servi avec un croissant tout chaud, près de la fenêtre, le matin.</p></body></html>").getBytes(Charset.forName("windows-1252")));
            case "/bom" -> {
                byte[] html = "<html><body><p>Grüße aus Köln, wo der Dom über dem Rhein steht und die Straßenbahn quietscht.</p></body></html>"
                        .getBytes(StandardCharsets.UTF_8);
                byte[] withBom = new byte[html.length + 3];
                withBom[0] = (byte) 0xef;
                withBom[1] = (byte) 0xbb;
                withBom[2] = (byte) 0xbf;
                System.arraycopy(html, 0, withBom, 3, html.length);
                send(ex, 200, "text/html; charset=ISO-8859-1", withBom);
            }
            case "/redirect-to-metadata" -> {
                ex.getResponseHeaders().set("Location", "http://169.254.169.254/latest/meta-data/");
                send(ex, 302, null, new byte[0]);
            }
            case "/redirect-to-file" -> {
                ex.getResponseHeaders().set("Location", "file:///etc/passwd");
                send(ex, 302, null, new byte[0]);
            }
            case "/loop" -> {
                ex.getResponseHeaders().set("Location", "/loop");
                send(ex, 301, null, new byte[0]);
            }
            case "/slow1", "/slow2", "/slow3", "/slow4", "/slow5" -> {
                // Each hop of this chain takes 0.6 s: under a per-hop timeout of 1.5 s the whole took 3 s.
                try {
                    Thread.sleep(600);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                int n = ex.getRequestURI().getPath().charAt(5) - '0';
                ex.getResponseHeaders().set("Location", n < 5 ? "/slow" + (n + 1) : "/article");
                send(ex, 302, null, new byte[0]);
            }
            case "/hop1" -> {
                ex.getResponseHeaders().set("Location", "/hop2");
                send(ex, 302, null, new byte[0]);
            }
            case "/hop2" -> {
                ex.getResponseHeaders().set("Location", "/article");
                send(ex, 307, null, new byte[0]);
            }
            case "/bomb" -> {
                ByteArrayOutputStream zipped = new ByteArrayOutputStream();
                try (GZIPOutputStream gz = new GZIPOutputStream(zipped)) {
                    byte[] zeros = ("<p>" + "a".repeat(1 << 16)).getBytes(StandardCharsets.US_ASCII);
                    for (int i = 0; i < 64; i++) {
                        gz.write(zeros); // 4 MiB of text in ~10 KB
                    }
                }
                ex.getResponseHeaders().set("Content-Encoding", "gzip");
                send(ex, 200, "text/html", zipped.toByteArray());
            }
            case "/endless" -> {
                ex.getResponseHeaders().set("Content-Type", "text/html");
                ex.sendResponseHeaders(200, 0); // chunked, never ends
                try (OutputStream o = ex.getResponseBody()) {
                    byte[] chunk = "<p>more</p>".repeat(1000).getBytes(StandardCharsets.US_ASCII);
                    while (true) {
                        o.write(chunk);
                    }
                } catch (IOException closed) {
                    // the scraper hung up, as it should
                }
            }
            case "/drip" -> {
                ex.getResponseHeaders().set("Content-Type", "text/html");
                ex.sendResponseHeaders(200, 0);
                dripsStarted.incrementAndGet();
                try (OutputStream o = ex.getResponseBody()) {
                    for (int i = 0; i < 120; i++) {
                        o.write('<');
                        o.flush();
                        Thread.sleep(250);
                    }
                } catch (IOException closed) {
                    dripClosed.countDown();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            case "/spa" -> send(ex, 200, "text/html", ("<html><head><title>App</title></head><body><div id=\"root\"></div><script>"
                    + "window.__STATE__={\"article\":{\"body\":[{\"type\":\"text\",\"html\":\"\\u003cp>The referee's decisions are debated "
                    + "every weekend, and this week was no exception at all.\\u003c/p>\"},{\"type\":\"text\",\"html\":\"\\u003cp>Without the "
                    + "wrong calls, the table would look quite different after ten rounds.\\u003c/p>\"}]}};</script></body></html>")
                    .getBytes(StandardCharsets.UTF_8));
            case "/binary" -> send(ex, 200, "text/html", new byte[]{(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 13, 'I', 'H', 'D', 'R'});
            case "/image" -> send(ex, 200, "image/png", new byte[]{(byte) 0x89, 'P', 'N', 'G'});
            default -> send(ex, 404, "text/plain", "no".getBytes(StandardCharsets.US_ASCII));
        }
    }

    static ScrapeTool tool(List<String> allowed, Duration timeout, long maxBytes) {
        return new ScrapeTool(new SafeFetcher(http.client(), new AddressPolicy(allowed), timeout, 1 << 20, maxBytes), 20_000);
    }

    static final ScrapeTool LOOPBACK_ALLOWED = tool(List.of("127.0.0.1/32"), Duration.ofSeconds(3), 1 << 20);
    static final ScrapeTool STRICT = tool(List.of(), Duration.ofSeconds(3), 1 << 20);

    static ObjectNode call(ScrapeTool t, String url, String... more) throws Tool.ToolFailure {
        ObjectNode args = Json.object().put("url", url);
        for (int i = 0; i < more.length; i += 2) {
            args.put(more[i], more[i + 1]);
        }
        return t.call(args, ToolContext.none());
    }

    static String refused(ScrapeTool t, String url) {
        return assertThrows(Tool.ToolFailure.class, () -> call(t, url), url).getMessage();
    }

    @Test
    void loopbackInEverySpellingIsNeverContacted() {
        int before = hits.get();
        for (String host : List.of("127.0.0.1", "localhost", "2130706433", "0x7f000001", "0177.0.0.1", "127.1", "[::1]",
                "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "0.0.0.0", "[::]", "127.0.0.1.nip.io.invalid")) {
            String message = refused(STRICT, "http://" + host + ":" + port + "/article");
            assertFalse(message.isBlank());
        }
        assertEquals(before, hits.get(), "a refused URL reached the fixture server");
        assertTrue(refused(STRICT, "http://127.0.0.1:" + port + "/article").startsWith("Refused"));
    }

    @Test
    void schemesAndRedirectHopsAreCheckedEachTime() {
        assertTrue(refused(STRICT, "file:///etc/passwd").contains("http"));
        assertTrue(refused(STRICT, "ftp://example.com/").contains("http"));
        assertTrue(refused(STRICT, "http://user:pw@example.com/").contains("credentials"));
        assertTrue(refused(LOOPBACK_ALLOWED, "http://127.0.0.1:" + port + "/redirect-to-metadata").contains("169.254.169.254"));
        assertTrue(refused(LOOPBACK_ALLOWED, "http://127.0.0.1:" + port + "/redirect-to-file").contains("http"));
        assertTrue(refused(LOOPBACK_ALLOWED, "http://127.0.0.1:" + port + "/loop").contains("redirects"));
    }

    @Test
    void hostileBodiesAreCutOff() {
        ScrapeTool small = tool(List.of("127.0.0.1/32"), Duration.ofSeconds(2), 256 * 1024);
        assertTrue(refused(small, "http://127.0.0.1:" + port + "/bomb").contains("decompressed"));
        long t0 = System.nanoTime();
        String endless = refused(small, "http://127.0.0.1:" + port + "/endless");
        assertTrue(endless.contains("larger than") || endless.contains("timeout"), endless);
        String drip = refused(small, "http://127.0.0.1:" + port + "/drip");
        assertTrue((System.nanoTime() - t0) / 1e9 < 10, "the whole-call timeout did not hold");
        assertFalse(drip.isBlank());
        assertTrue(refused(LOOPBACK_ALLOWED, "http://127.0.0.1:" + port + "/binary").contains("binary"));
        assertTrue(refused(LOOPBACK_ALLOWED, "http://127.0.0.1:" + port + "/image").contains("image/png"));
        assertTrue(refused(LOOPBACK_ALLOWED, "http://127.0.0.1:" + port + "/missing").contains("404"));
    }

    @Test
    void theArticleIsExtractedWithItsMetadataAndWithoutBoilerplate() throws Exception {
        ObjectNode r = call(LOOPBACK_ALLOWED, "http://127.0.0.1:" + port + "/hop1");
        assertEquals("http://127.0.0.1:" + port + "/article", r.get("final_url").asText());
        assertEquals("Tides explained", r.get("title").asText());
        assertEquals("Ada Wave", r.get("byline").asText());
        assertEquals("2024-05-01T10:00:00Z", r.get("published_date").asText());
        assertEquals("en", r.get("language").asText());
        String text = r.get("content").asText();
        assertTrue(text.contains("spring tides") && text.contains("neap tides"), text);
        for (String junk : List.of("Home", "Subscribe", "Waves 101", "Great post", "Copyright", "tracking")) {
            assertFalse(text.contains(junk), "kept boilerplate '" + junk + "': " + text);
        }
        ObjectNode md = call(LOOPBACK_ALLOWED, "http://127.0.0.1:" + port + "/article", "format", "markdown");
        assertTrue(md.get("content").asText().contains("## Spring tides"), md.get("content").asText());
        ObjectNode cut = LOOPBACK_ALLOWED.call(Json.object().put("url", "http://127.0.0.1:" + port + "/article").put("max_chars", 100),
                ToolContext.none());
        assertEquals(100, cut.get("content").asText().length());
        assertTrue(cut.get("truncated").asBoolean());
    }

    @Test
    void aClientRenderedPageIsReadFromItsJsonState() throws Exception {
        String text = call(LOOPBACK_ALLOWED, "http://127.0.0.1:" + port + "/spa").get("content").asText();
        assertTrue(text.contains("debated every weekend") && text.contains("after ten rounds"), text);
        assertFalse(text.contains("__STATE__"), text);
    }

    @Test
    void charsetsComeFromBomThenHeaderThenMeta() throws Exception {
        assertTrue(call(LOOPBACK_ALLOWED, "http://127.0.0.1:" + port + "/latin1").get("content").asText().contains("Un café crème à Paris"));
        assertTrue(call(LOOPBACK_ALLOWED, "http://127.0.0.1:" + port + "/bom").get("content").asText().contains("Grüße aus Köln"));
    }

    @Test
    void cancellingAScrapeClosesItsConnection() throws Exception {
        ScrapeTool slow = tool(List.of("127.0.0.1/32"), Duration.ofSeconds(60), 1 << 20);
        ToolContext ctx = ToolContext.none();
        int before = dripsStarted.get();
        CompletableFuture<String> running = CompletableFuture.supplyAsync(() -> {
            try {
                slow.call(Json.object().put("url", "http://127.0.0.1:" + port + "/drip"), ctx);
                return "finished";
            } catch (Tool.ToolFailure e) {
                return e.getMessage();
            }
        });
        await("the fetch is under way").atMost(Duration.ofSeconds(5)).until(() -> dripsStarted.get() > before);
        ctx.cancel();
        assertEquals("The fetch was cancelled.", running.get(5, TimeUnit.SECONDS));
        assertTrue(dripClosed.await(5, TimeUnit.SECONDS), "the server never saw the connection close");
    }

    /** The probe followed 5 hops of 8 s each under an 8 s timeout (48 s): the timeout is the whole fetch's. */
    @Test
    void theTimeoutBoundsTheWholeFetchRedirectsIncluded() {
        ScrapeTool quick = tool(List.of("127.0.0.1/32"), Duration.ofMillis(1500), 1 << 20);
        long began = System.nanoTime();
        Tool.ToolFailure e = assertThrows(Tool.ToolFailure.class, () -> quick.call(Json.object().put("url", "http://127.0.0.1:" + port + "/slow1"),
                ToolContext.none()));
        long millis = (System.nanoTime() - began) / 1_000_000;
        assertTrue(e.getMessage().contains("took longer than"), e.getMessage());
        assertTrue(millis < 2_500, "stopped at the fetch's deadline, not after every hop: " + millis + " ms");
    }

    @Test
    void argumentsAreValidated() {
        assertThrows(Tool.ToolFailure.class, () -> STRICT.call(Json.object(), ToolContext.none()));
        assertThrows(Tool.ToolFailure.class, () -> STRICT.call(Json.object().put("url", "http://x").put("format", "pdf"), ToolContext.none()));
        assertThrows(Tool.ToolFailure.class, () -> STRICT.call(Json.object().put("url", "http://x").put("max_chars", 5), ToolContext.none()));
        JsonNode def = STRICT.definition();
        assertTrue(def.get("annotations").get("openWorldHint").asBoolean());
        assertNull(def.get("annotations").get("destructiveHint").asBoolean() ? "destructive" : null);
    }
}
