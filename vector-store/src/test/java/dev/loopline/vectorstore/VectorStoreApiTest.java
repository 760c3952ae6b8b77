package dev.loopline.vectorstore;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.testing.TestServer;
import dev.loopline.vectorstore.testing.VectorStoreClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Files and vector stores over real HTTP, with real embeddings and a real Lucene index (H2). */
class VectorStoreApiTest {
    static TestServer server;
    static VectorStoreClient api;
    static VectorStoreClient other;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("LOOPLINE_MAX_FILE_BYTES", Integer.toString(1024 * 1024)),
                p -> List.of(new VectorStoreModule(p)));
        api = new VectorStoreClient(server, TestServer.API_KEY);
        other = new VectorStoreClient(server, TestServer.OTHER_TENANT_KEY);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static final String VOLCANO = "Volcanoes form where magma from the mantle reaches the surface. Basaltic lava is runny and "
            + "builds broad shield volcanoes such as Mauna Loa in Hawaii.";
    static final String BREAD = "Sourdough bread rises because wild yeast and lactic acid bacteria ferment the dough. "
            + "A starter is fed flour and water every day.";
    static final String TAXES = "Quarterly estimated tax payments are due in April, June, September and January for "
            + "self-employed people who expect to owe at least one thousand dollars.";
    static final String CHESS = "In chess the king castles by moving two squares toward a rook, which then jumps to the "
            + "other side of the king. Castling is not allowed while in check.";

    static String store(String... fileIds) {
        String ids = String.join("\",\"", fileIds);
        JsonNode s = api.ok(api.post("/v1/vector_stores", "{\"name\":\"test\",\"file_ids\":[\"" + ids + "\"]}"));
        return s.path("id").asText();
    }

    static JsonNode search(String storeId, String body) {
        return api.ok(api.post("/v1/vector_stores/" + storeId + "/search", body));
    }

    @Test
    void uploadStoreAndSearchFindsTheRightPassage() {
        String volcano = api.uploadText("volcano.txt", VOLCANO);
        String bread = api.uploadText("bread.md", "# Baking\n\n" + BREAD);
        String taxes = api.uploadText("taxes.txt", TAXES);
        String vs = store(volcano, bread, taxes);
        JsonNode done = api.awaitIdle(vs, 60_000);
        assertEquals(3, done.path("file_counts").path("completed").asInt(), done.toString());
        assertEquals("completed", done.path("status").asText());
        assertTrue(done.path("usage_bytes").asLong() > 0);

        for (String ranker : List.of("auto", "none")) {
            JsonNode page = search(vs, "{\"query\":\"how does lava erupt from a mountain\",\"ranking_options\":{\"ranker\":\"" + ranker + "\"}}");
            assertEquals("vector_store.search_results.page", page.path("object").asText());
            assertEquals("how does lava erupt from a mountain", page.path("search_query").get(0).asText());
            JsonNode first = page.path("data").get(0);
            assertEquals(volcano, first.path("file_id").asText(), ranker + ": " + page);
            assertEquals("volcano.txt", first.path("filename").asText());
            assertTrue(first.path("content").get(0).path("text").asText().contains("magma"));
            double score = first.path("score").asDouble();
            assertTrue(score > 0 && score <= 1, "score " + score);
            assertFalse(page.path("has_more").asBoolean());
            assertTrue(page.path("next_page").isNull());
        }
        // Keyword-only evidence: hybrid ranking finds an exact rare term.
        JsonNode page = search(vs, "{\"query\":\"Mauna Loa\",\"max_num_results\":1}");
        assertEquals(1, page.path("data").size());
        assertEquals(volcano, page.path("data").get(0).path("file_id").asText());
        // score_threshold 1.0 keeps only results first in every ranking.
        JsonNode strict = search(vs, "{\"query\":\"sourdough starter\",\"ranking_options\":{\"score_threshold\":0.99}}");
        for (JsonNode d : strict.path("data")) {
            assertTrue(d.path("score").asDouble() >= 0.99);
        }
        // A list of queries.
        JsonNode multi = search(vs, "{\"query\":[\"sourdough starter\",\"estimated tax\"]}");
        Set<String> files = new TreeSet<>();
        multi.path("data").forEach(d -> files.add(d.path("file_id").asText()));
        assertTrue(files.containsAll(List.of(bread, taxes)), multi.toString());
    }

    @Test
    void everyFileTypeIsParsedAndAnUnsupportedOneFailsAloneInTheBatch() throws IOException {
        List<String> ids = new ArrayList<>();
        ids.add(api.ok(api.upload("page.html", "text/html", ("<html><head><title>Chess</title><script>var x='volcano';</script></head>"
                + "<body><nav>menu</nav><p>" + CHESS + "</p></body></html>").getBytes(StandardCharsets.UTF_8), "assistants")).path("id").asText());
        ids.add(api.ok(api.upload("facts.json", "application/json",
                "{\"topic\":\"bread\",\"body\":\"Sourdough needs a starter of flour and water.\"}".getBytes(StandardCharsets.UTF_8), "assistants")).path("id").asText());
        ids.add(api.ok(api.upload("table.csv", "text/csv", "city,country\nReykjavik,Iceland\nNairobi,Kenya\n".getBytes(StandardCharsets.UTF_8),
                "assistants")).path("id").asText());
        ids.add(api.ok(api.upload("doc.pdf", "application/pdf", TestDocuments.pdf("Photosynthesis turns sunlight into sugar in chloroplasts."),
                "assistants")).path("id").asText());
        // Named and typed as nothing (openai-java's file(byte[])): read by its bytes.
        ids.add(api.ok(api.upload("upload", "application/octet-stream", "Glaciers carve fjords over thousands of years."
                .getBytes(StandardCharsets.UTF_8), "assistants")).path("id").asText());
        String exe = api.ok(api.upload("tool.exe", "application/octet-stream", new byte[]{0x4d, 0x5a, 0, 1, 2, 3}, "assistants")).path("id").asText();
        JsonNode vs = api.ok(api.post("/v1/vector_stores", "{\"name\":\"types\"}"));
        String vsId = vs.path("id").asText();
        List<String> all = new ArrayList<>(ids);
        all.add(exe);
        JsonNode batch = api.ok(api.post("/v1/vector_stores/" + vsId + "/file_batches",
                "{\"file_ids\":[\"" + String.join("\",\"", all) + "\"],\"attributes\":{\"kind\":\"mixed\"}}"));
        assertEquals("vector_store.files_batch", batch.path("object").asText());
        assertEquals(6, batch.path("file_counts").path("total").asInt());
        api.awaitIdle(vsId, 60_000);
        JsonNode finished = api.ok(api.get("/v1/vector_stores/" + vsId + "/file_batches/" + batch.path("id").asText()));
        assertEquals("completed", finished.path("status").asText(), finished.toString());
        assertEquals(5, finished.path("file_counts").path("completed").asInt());
        assertEquals(1, finished.path("file_counts").path("failed").asInt());
        JsonNode failed = api.ok(api.get("/v1/vector_stores/" + vsId + "/files/" + exe));
        assertEquals("failed", failed.path("status").asText());
        assertEquals("unsupported_file", failed.path("last_error").path("code").asText());
        JsonNode failedList = api.ok(api.get("/v1/vector_stores/" + vsId + "/file_batches/" + batch.path("id").asText() + "/files?filter=failed"));
        assertEquals(1, failedList.path("data").size());
        assertEquals(exe, failedList.path("data").get(0).path("id").asText());

        assertEquals(ids.get(0), search(vsId, "{\"query\":\"castling rules\"}").path("data").get(0).path("file_id").asText());
        assertEquals(ids.get(3), search(vsId, "{\"query\":\"how plants make sugar from light\"}").path("data").get(0).path("file_id").asText());
        assertEquals(ids.get(2), search(vsId, "{\"query\":\"capital of Kenya\"}").path("data").get(0).path("file_id").asText());
        assertEquals(ids.get(4), search(vsId, "{\"query\":\"how fjords form\"}").path("data").get(0).path("file_id").asText());
        // HTML scripts and navigation are not indexed; the title is.
        JsonNode html = api.ok(api.get("/v1/vector_stores/" + vsId + "/files/" + ids.get(0) + "/content"));
        String text = html.path("data").get(0).path("text").asText();
        assertTrue(text.startsWith("Chess") && text.contains("castles"), text);
        assertFalse(text.contains("var x") || text.contains("menu"), text);
        assertEquals("mixed", search(vsId, "{\"query\":\"castling\"}").path("data").get(0).path("attributes").path("kind").asText());
    }

    @Test
    void filtersOfEveryOperatorArePushedIntoTheSearch() {
        record F(String name, String attributes) {
        }
        List<F> files = List.of(
                new F("a", "{\"author\":\"ann\",\"year\":2019,\"draft\":true}"),
                new F("b", "{\"author\":\"bob\",\"year\":2020,\"draft\":false}"),
                new F("c", "{\"author\":\"cy\",\"year\":2021.5}"),
                new F("d", "{\"year\":\"2020\"}"));
        String vs = api.ok(api.post("/v1/vector_stores", "{}")).path("id").asText();
        Map<String, String> byName = new HashMap<>();
        for (F f : files) {
            String id = api.uploadText(f.name() + ".txt", "Notes on volcanoes and lava, file " + f.name() + ".");
            byName.put(id, f.name());
            api.ok(api.post("/v1/vector_stores/" + vs + "/files", "{\"file_id\":\"" + id + "\",\"attributes\":" + f.attributes() + "}"));
        }
        api.awaitIdle(vs, 60_000);
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("{\"type\":\"eq\",\"key\":\"author\",\"value\":\"bob\"}", "b");
        cases.put("{\"type\":\"ne\",\"key\":\"author\",\"value\":\"bob\"}", "acd");
        cases.put("{\"type\":\"eq\",\"key\":\"year\",\"value\":2020}", "b");
        cases.put("{\"type\":\"eq\",\"key\":\"year\",\"value\":\"2020\"}", "d");
        cases.put("{\"type\":\"gt\",\"key\":\"year\",\"value\":2020}", "c");
        cases.put("{\"type\":\"gte\",\"key\":\"year\",\"value\":2020}", "bc");
        cases.put("{\"type\":\"lt\",\"key\":\"year\",\"value\":2020}", "a");
        cases.put("{\"type\":\"lte\",\"key\":\"year\",\"value\":2020}", "ab");
        cases.put("{\"type\":\"in\",\"key\":\"author\",\"value\":[\"ann\",\"cy\",\"zed\"]}", "ac");
        cases.put("{\"type\":\"nin\",\"key\":\"author\",\"value\":[\"ann\",\"cy\"]}", "bd");
        cases.put("{\"type\":\"eq\",\"key\":\"draft\",\"value\":true}", "a");
        cases.put("{\"type\":\"and\",\"filters\":[{\"type\":\"gte\",\"key\":\"year\",\"value\":2019},{\"type\":\"ne\",\"key\":\"draft\",\"value\":true}]}", "bc");
        cases.put("{\"type\":\"or\",\"filters\":[{\"type\":\"eq\",\"key\":\"author\",\"value\":\"ann\"},"
                + "{\"type\":\"and\",\"filters\":[{\"type\":\"gt\",\"key\":\"year\",\"value\":2020},{\"type\":\"lt\",\"key\":\"year\",\"value\":2022}]}]}", "ac");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            for (String ranker : List.of("auto", "none")) {
                JsonNode page = search(vs, "{\"query\":\"volcano notes\",\"max_num_results\":50,\"filters\":" + c.getKey()
                        + ",\"ranking_options\":{\"ranker\":\"" + ranker + "\"}}");
                StringBuilder got = new StringBuilder();
                new TreeSet<>(page.path("data").findValuesAsText("file_id").stream().map(byName::get).toList()).forEach(got::append);
                assertEquals(c.getValue(), got.toString(), ranker + " " + c.getKey());
            }
        }
        // Changing attributes changes what filters match.
        String a = byName.entrySet().stream().filter(e -> e.getValue().equals("a")).findFirst().orElseThrow().getKey();
        JsonNode updated = api.ok(api.post("/v1/vector_stores/" + vs + "/files/" + a, "{\"attributes\":{\"author\":\"bob\"}}"));
        assertEquals("bob", updated.path("attributes").path("author").asText());
        JsonNode page = search(vs, "{\"query\":\"volcano\",\"filters\":{\"type\":\"eq\",\"key\":\"author\",\"value\":\"bob\"}}");
        assertEquals(2, page.path("data").size(), page.toString());

        TestServer.error(api.post("/v1/vector_stores/" + vs + "/search", "{\"query\":\"x\",\"filters\":{\"type\":\"gt\",\"key\":\"year\",\"value\":\"2020\"}}"), 400);
        TestServer.error(api.post("/v1/vector_stores/" + vs + "/search", "{\"query\":\"x\",\"filters\":{\"type\":\"like\",\"key\":\"k\",\"value\":1}}"), 400);
        TestServer.error(api.post("/v1/vector_stores/" + vs + "/search", "{\"query\":\"x\",\"filters\":{\"type\":\"and\",\"filters\":[]}}"), 400);
        TestServer.error(api.post("/v1/vector_stores/" + vs + "/search", "{\"query\":\"x\",\"max_num_results\":51}"), 400);
        TestServer.error(api.post("/v1/vector_stores/" + vs + "/search", "{\"query\":7}"), 400);
        TestServer.error(api.post("/v1/vector_stores/" + vs + "/search", "{\"query\":\"x\",\"ranking_options\":{\"score_threshold\":2}}"), 400);
    }

    /**
     * The probe's 1,025-value {@code in} was a 500 (Lucene's 1,024-clause limit) and a 1 MB query
     * took 41 s: long lists work, past the documented bounds is a 400, a query has a length limit.
     */
    @Test
    void largeFiltersWorkAndUnboundedInputIsRefused() {
        String file = api.uploadText("sets.txt", VOLCANO);
        String vs = store(file);
        api.awaitIdle(vs, 120_000);
        api.ok(api.post("/v1/vector_stores/" + vs + "/files/" + file, "{\"attributes\":{\"region\":\"r777\",\"year\":2024}}"));
        java.util.List<String> regions = new java.util.ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            regions.add("\"r" + i + "\"");
        }
        JsonNode found = search(vs, "{\"query\":\"volcano\",\"filters\":{\"type\":\"in\",\"key\":\"region\",\"value\":[" + String.join(",", regions) + "]}}");
        assertEquals(1, found.path("data").size(), found.toString());
        JsonNode none = search(vs, "{\"query\":\"volcano\",\"filters\":{\"type\":\"nin\",\"key\":\"region\",\"value\":[" + String.join(",", regions) + "]}}");
        assertEquals(0, none.path("data").size(), none.toString());
        JsonNode years = search(vs, "{\"query\":\"volcano\",\"filters\":{\"type\":\"in\",\"key\":\"year\",\"value\":[2023, 2024, \"x\"]}}");
        assertEquals(1, years.path("data").size(), years.toString());
        for (int i = 5000; i < 10_001; i++) {
            regions.add("\"r" + i + "\"");
        }
        assertEquals("filters.value", TestServer.error(api.post("/v1/vector_stores/" + vs + "/search", "{\"query\":\"volcano\",\"filters\":"
                + "{\"type\":\"in\",\"key\":\"region\",\"value\":[" + String.join(",", regions) + "]}}"), 400).path("param").asText());
        String manyComparisons = "{\"type\":\"or\",\"filters\":[" + String.join(",", java.util.Collections.nCopies(257,
                "{\"type\":\"eq\",\"key\":\"region\",\"value\":\"r1\"}")) + "]}";
        TestServer.error(api.post("/v1/vector_stores/" + vs + "/search", "{\"query\":\"volcano\",\"filters\":" + manyComparisons + "}"), 400);
        JsonNode tooLong = TestServer.error(api.post("/v1/vector_stores/" + vs + "/search", "{\"query\":\"" + "volcano ".repeat(600) + "\"}"), 400);
        assertEquals("query_too_long", tooLong.path("code").asText());
    }

    @Test
    void anotherTenantGetsNotFoundNeverTheData() {
        String file = api.uploadText("secret.txt", "The launch code is tangerine.");
        String vs = store(file);
        api.awaitIdle(vs, 60_000);
        for (String path : List.of("/v1/files/" + file, "/v1/files/" + file + "/content", "/v1/vector_stores/" + vs,
                "/v1/vector_stores/" + vs + "/files", "/v1/vector_stores/" + vs + "/files/" + file,
                "/v1/vector_stores/" + vs + "/files/" + file + "/content")) {
            TestServer.error(other.get(path), 404);
        }
        TestServer.error(other.post("/v1/vector_stores/" + vs + "/search", "{\"query\":\"launch code\"}"), 404);
        TestServer.error(other.delete("/v1/files/" + file), 404);
        TestServer.error(other.delete("/v1/vector_stores/" + vs), 404);
        // Their own store cannot take our file either.
        String theirs = other.ok(other.post("/v1/vector_stores", "{}")).path("id").asText();
        TestServer.error(other.post("/v1/vector_stores/" + theirs + "/files", "{\"file_id\":\"" + file + "\"}"), 404);
        TestServer.error(other.post("/v1/vector_stores", "{\"file_ids\":[\"" + file + "\"]}"), 404);
        assertFalse(other.ok(other.get("/v1/files")).toString().contains(file));
        assertFalse(other.ok(other.get("/v1/vector_stores")).toString().contains(vs));
        // And the data is still ours.
        assertEquals(file, search(vs, "{\"query\":\"launch code\"}").path("data").get(0).path("file_id").asText());
    }

    @Test
    void malformedUploadsGetClearClientErrors() {
        TestServer.error(api.upload("refused-empty.txt", "text/plain", new byte[0], "assistants"), 400);
        JsonNode binary = TestServer.error(api.upload("refused-notes.txt", "text/plain", new byte[]{1, 0, 2, 0, 3}, "assistants"), 400);
        assertTrue(binary.path("message").asText().contains("binary"));
        JsonNode huge = TestServer.error(api.upload("refused-big.txt", "text/plain", "a".repeat(1024 * 1024 + 1).getBytes(StandardCharsets.UTF_8), "assistants"), 413);
        assertEquals("request_too_large", huge.path("code").asText(), huge.toString());
        JsonNode purpose = TestServer.error(api.upload("refused-a.txt", "text/plain", "hi".getBytes(StandardCharsets.UTF_8), "homework"), 400);
        assertEquals("purpose", purpose.path("param").asText());
        TestServer.error(api.upload("refused-a.txt", "text/plain", "hi".getBytes(StandardCharsets.UTF_8), null), 400);
        TestServer.error(api.upload(null, null, null, "assistants"), 400);
        TestServer.error(api.post("/v1/files", "{\"purpose\":\"assistants\"}"), 400);
        // A body cut off before its closing boundary (the probe's 1.2 MB file stored at 600 KB): refused, not stored short.
        byte[] whole = VectorStoreClient.multipart("cut", "refused-cut.txt", "text/plain", "x".repeat(200_000).getBytes(StandardCharsets.UTF_8), "assistants");
        byte[] cut = java.util.Arrays.copyOf(whole, whole.length / 2);
        JsonNode truncated = TestServer.error(server.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(server.baseUrl() + "/v1/files"))
                .header("Authorization", "Bearer " + TestServer.API_KEY).header("Content-Type", "multipart/form-data; boundary=cut")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(cut)).build()), 400);
        assertEquals("invalid_multipart", truncated.path("code").asText(), truncated.toString());
        // Nothing half-written: no file rows and no leftover temp files from the refused uploads.
        JsonNode list = api.ok(api.get("/v1/files?purpose=assistants"));
        for (JsonNode f : list.path("data")) {
            assertFalse(Set.of("refused-empty.txt", "refused-notes.txt", "refused-big.txt", "refused-a.txt", "refused-cut.txt").contains(f.path("filename").asText()), f.toString());
        }
        try (var tmp = Files.list(server.dataDir().resolve("files").resolve("tmp"))) {
            assertEquals(0, tmp.count());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void fileLifecycleAndDeletionRemovesChunks() {
        HttpResponse<String> up = api.upload("notes.txt", "text/plain", CHESS.getBytes(StandardCharsets.UTF_8), "user_data");
        JsonNode f = api.ok(up);
        assertEquals("file", f.path("object").asText());
        assertEquals(CHESS.getBytes(StandardCharsets.UTF_8).length, f.path("bytes").asInt());
        assertEquals("user_data", f.path("purpose").asText());
        assertTrue(f.path("id").asText().startsWith("file-"));
        String id = f.path("id").asText();
        assertEquals(CHESS, api.get("/v1/files/" + id + "/content").body());
        assertEquals(id, api.ok(api.get("/v1/files/" + id)).path("id").asText());
        String vs = store(id);
        api.awaitIdle(vs, 60_000);
        assertEquals(1, search(vs, "{\"query\":\"castling\"}").path("data").size());
        JsonNode deleted = api.ok(api.delete("/v1/files/" + id));
        assertTrue(deleted.path("deleted").asBoolean());
        TestServer.error(api.get("/v1/files/" + id), 404);
        assertEquals(0, search(vs, "{\"query\":\"castling\"}").path("data").size());
        assertEquals(0, api.ok(api.get("/v1/vector_stores/" + vs)).path("file_counts").path("total").asInt());
    }

    @Test
    void storesAndStoreFilesHaveTheirFullLifecycle() {
        String f1 = api.uploadText("one.txt", VOLCANO);
        String f2 = api.uploadText("two.txt", BREAD);
        JsonNode created = api.ok(api.post("/v1/vector_stores", "{\"name\":\"lifecycle\",\"metadata\":{\"team\":\"geo\"},"
                + "\"expires_after\":{\"anchor\":\"last_active_at\",\"days\":7},"
                + "\"chunking_strategy\":{\"type\":\"static\",\"static\":{\"max_chunk_size_tokens\":100,\"chunk_overlap_tokens\":20}},"
                + "\"file_ids\":[\"" + f1 + "\"]}"));
        String vs = created.path("id").asText();
        assertTrue(vs.startsWith("vs_"));
        assertEquals("geo", created.path("metadata").path("team").asText());
        assertEquals(7, created.path("expires_after").path("days").asInt());
        assertEquals(created.path("last_active_at").asLong() + 7 * 86400, created.path("expires_at").asLong());
        api.awaitIdle(vs, 60_000);
        JsonNode file = api.ok(api.get("/v1/vector_stores/" + vs + "/files/" + f1));
        assertEquals(100, file.path("chunking_strategy").path("static").path("max_chunk_size_tokens").asInt());
        assertEquals("completed", file.path("status").asText());
        assertTrue(file.path("last_error").isNull());
        api.ok(api.post("/v1/vector_stores/" + vs + "/files", "{\"file_id\":\"" + f2 + "\"}"));
        api.awaitIdle(vs, 60_000);
        JsonNode files = api.ok(api.get("/v1/vector_stores/" + vs + "/files?limit=1&order=asc"));
        assertEquals(1, files.path("data").size());
        assertTrue(files.path("has_more").asBoolean());
        JsonNode next = api.ok(api.get("/v1/vector_stores/" + vs + "/files?limit=1&order=asc&after=" + files.path("last_id").asText()));
        assertEquals(1, next.path("data").size());
        assertFalse(next.path("has_more").asBoolean());
        assertFalse(next.path("data").get(0).path("id").asText().equals(files.path("data").get(0).path("id").asText()));
        assertEquals(2, api.ok(api.get("/v1/vector_stores/" + vs + "/files?filter=completed")).path("data").size());
        TestServer.error(api.get("/v1/vector_stores/" + vs + "/files?filter=done"), 400);

        JsonNode renamed = api.ok(api.post("/v1/vector_stores/" + vs, "{\"name\":\"renamed\",\"metadata\":{\"team\":\"bio\"}}"));
        assertEquals("renamed", renamed.path("name").asText());
        assertEquals("bio", renamed.path("metadata").path("team").asText());
        assertEquals(7, renamed.path("expires_after").path("days").asInt());
        assertTrue(api.ok(api.get("/v1/vector_stores?limit=100")).toString().contains(vs));

        JsonNode removed = api.ok(api.delete("/v1/vector_stores/" + vs + "/files/" + f2));
        assertEquals("vector_store.file.deleted", removed.path("object").asText());
        assertEquals(0, search(vs, "{\"query\":\"sourdough\",\"ranking_options\":{\"ranker\":\"none\",\"score_threshold\":0.7}}").path("data").size());
        assertEquals(200, api.get("/v1/files/" + f2).statusCode(), "removing from a store keeps the file");

        JsonNode gone = api.ok(api.delete("/v1/vector_stores/" + vs));
        assertEquals("vector_store.deleted", gone.path("object").asText());
        TestServer.error(api.get("/v1/vector_stores/" + vs), 404);
        assertFalse(Files.exists(server.dataDir().resolve("vector-store").resolve(vs)));
    }

    @Test
    void badStoreRequestsAre400sNamingTheField() {
        JsonNode e = TestServer.error(api.post("/v1/vector_stores", "{\"chunking_strategy\":{\"type\":\"static\",\"static\":"
                + "{\"max_chunk_size_tokens\":50,\"chunk_overlap_tokens\":0}}}"), 400);
        assertEquals("chunking_strategy.static.max_chunk_size_tokens", e.path("param").asText());
        e = TestServer.error(api.post("/v1/vector_stores", "{\"chunking_strategy\":{\"type\":\"static\",\"static\":"
                + "{\"max_chunk_size_tokens\":200,\"chunk_overlap_tokens\":101}}}"), 400);
        assertEquals("chunking_strategy.static.chunk_overlap_tokens", e.path("param").asText());
        TestServer.error(api.post("/v1/vector_stores", "{\"metadata\":{\"k\":1}}"), 400);
        TestServer.error(api.post("/v1/vector_stores", "{\"expires_after\":{\"anchor\":\"created_at\",\"days\":1}}"), 400);
        TestServer.error(api.post("/v1/vector_stores", "{\"file_ids\":[\"file-doesnotexist\"]}"), 404);
        TestServer.error(api.post("/v1/vector_stores", "not json"), 400);
        String vs = api.ok(api.post("/v1/vector_stores", "{}")).path("id").asText();
        TestServer.error(api.post("/v1/vector_stores/" + vs + "/files", "{}"), 400);
        String f = api.uploadText("x.txt", "hello there");
        e = TestServer.error(api.post("/v1/vector_stores/" + vs + "/files", "{\"file_id\":\"" + f + "\",\"attributes\":{\"k\":[1]}}"), 400);
        assertEquals("attributes.k", e.path("param").asText());
        TestServer.error(api.get("/v1/vector_stores?limit=0"), 400);
        TestServer.error(api.get("/v1/vector_stores?order=up"), 400);
        TestServer.error(api.post("/v1/vector_stores/" + vs + "/file_batches", "{\"file_ids\":[]}"), 400);
    }

    @Test
    void aStoreBuiltWithOneModelRefusesToMixInAnother() throws Exception {
        Path dir = Files.createTempDirectory("mix");
        String vs;
        try (TestServer first = TestServer.start(Map.of("LOOPLINE_DATA_DIR", dir.toString()), p -> List.of(new VectorStoreModule(p)))) {
            VectorStoreClient c = new VectorStoreClient(first, TestServer.API_KEY);
            vs = c.ok(c.post("/v1/vector_stores", "{\"file_ids\":[\"" + c.uploadText("a.txt", VOLCANO) + "\"]}")).path("id").asText();
            c.awaitIdle(vs, 60_000);
        }
        try (TestServer second = TestServer.start(Map.of("LOOPLINE_DATA_DIR", dir.toString(), "LOOPLINE_EMBEDDINGS", "onnx-int8"),
                p -> List.of(new VectorStoreModule(p)))) {
            VectorStoreClient c = new VectorStoreClient(second, TestServer.API_KEY);
            JsonNode e = TestServer.error(c.post("/v1/vector_stores/" + vs + "/search", "{\"query\":\"lava\"}"), 400);
            assertEquals("embedding_model_mismatch", e.path("code").asText());
            assertTrue(e.path("message").asText().contains("all-MiniLM-L6-v2-int8"), e.toString());
            c.ok(c.post("/v1/vector_stores/" + vs + "/files", "{\"file_id\":\"" + c.uploadText("b.txt", BREAD) + "\"}"));
            c.awaitIdle(vs, 60_000);
            JsonNode failed = c.ok(c.get("/v1/vector_stores/" + vs + "/files?filter=failed")).path("data");
            assertEquals(1, failed.size());
            assertTrue(failed.get(0).path("last_error").path("message").asText().contains("never mixed"));
            // A new store on this server uses its model.
            String fresh = c.ok(c.post("/v1/vector_stores", "{}")).path("id").asText();
            assertEquals(0, c.ok(c.post("/v1/vector_stores/" + fresh + "/search", "{\"query\":\"lava\"}")).path("data").size());
        }
    }

    @Test
    void reAddingAFileWhileItIsIngestedPublishesOnlyTheNewestAdd() {
        StringBuilder big = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            big.append("Section ").append(i).append(" on glacier movement and the moraines they leave behind.\n\n");
        }
        String f = api.uploadText("glaciers.txt", big.toString());
        String vs = api.ok(api.post("/v1/vector_stores", "{}")).path("id").asText();
        api.ok(api.post("/v1/vector_stores/" + vs + "/files", "{\"file_id\":\"" + f + "\",\"attributes\":{\"v\":1}}"));
        api.ok(api.post("/v1/vector_stores/" + vs + "/files", "{\"file_id\":\"" + f + "\",\"attributes\":{\"v\":2},"
                + "\"chunking_strategy\":{\"type\":\"static\",\"static\":{\"max_chunk_size_tokens\":100,\"chunk_overlap_tokens\":0}}}"));
        api.awaitIdle(vs, 120_000);
        JsonNode row = api.ok(api.get("/v1/vector_stores/" + vs + "/files/" + f));
        assertEquals("completed", row.path("status").asText(), row.toString());
        assertEquals(2, row.path("attributes").path("v").asInt());
        JsonNode newest = search(vs, "{\"query\":\"glacier\",\"max_num_results\":50,\"filters\":{\"type\":\"eq\",\"key\":\"v\",\"value\":2}}");
        JsonNode older = search(vs, "{\"query\":\"glacier\",\"max_num_results\":50,\"filters\":{\"type\":\"eq\",\"key\":\"v\",\"value\":1}}");
        assertTrue(newest.path("data").size() > 0);
        assertEquals(0, older.path("data").size(), "chunks of the superseded add are searchable");
        // The newest chunking won: 100-token chunks, no overlap.
        JsonNode content = api.ok(api.get("/v1/vector_stores/" + vs + "/files/" + f + "/content")).path("data");
        assertTrue(content.size() > 20, "expected the 100-token chunking, got " + content.size() + " chunks");
    }

    @Test
    void cancellingABatchStopsItsFiles() {
        StringBuilder big = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            big.append("Paragraph ").append(i).append(" about the history of maritime navigation and the stars.\n\n");
        }
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            ids.add(api.uploadText("big" + i + ".txt", big.toString()));
        }
        String vs = api.ok(api.post("/v1/vector_stores", "{}")).path("id").asText();
        JsonNode batch = api.ok(api.post("/v1/vector_stores/" + vs + "/file_batches", "{\"file_ids\":[\"" + String.join("\",\"", ids) + "\"]}"));
        JsonNode cancelled = api.ok(api.post("/v1/vector_stores/" + vs + "/file_batches/" + batch.path("id").asText() + "/cancel", ""));
        assertEquals("cancelled", cancelled.path("status").asText());
        api.awaitIdle(vs, 60_000);
        JsonNode after = api.ok(api.get("/v1/vector_stores/" + vs + "/file_batches/" + batch.path("id").asText()));
        assertEquals(6, after.path("file_counts").path("total").asInt());
        assertTrue(after.path("file_counts").path("cancelled").asInt() >= 4, after.toString());
        // Cancelled files leave no chunks behind.
        long completed = after.path("file_counts").path("completed").asLong();
        JsonNode hits = search(vs, "{\"query\":\"maritime navigation\",\"max_num_results\":50}");
        Set<String> found = new TreeSet<>(hits.path("data").findValuesAsText("file_id"));
        assertTrue(found.size() <= completed, found + " vs " + completed);
    }
}
