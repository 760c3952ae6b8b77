package dev.loopline.bench.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.app.Main;
import dev.loopline.common.config.Settings;
import dev.loopline.common.json.Json;
import dev.loopline.common.logging.LogSetup;
import dev.loopline.vectorstore.chunk.Chunk;
import dev.loopline.vectorstore.chunk.Chunker;
import dev.loopline.vectorstore.chunk.ChunkingStrategy;
import dev.loopline.vectorstore.embed.OnnxMiniLm;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Embedding and ingestion throughput on this machine. First the model alone (batched ONNX, all
 * cores): short sentences and 256-token chunks, fp32 and int8. Then the whole service path over
 * HTTP: multipart upload of Javadoc-text documents, a file batch, and the time until every file is
 * completed (parse, chunk, embed, index, commit), for auto and 100-token chunking.
 */
public final class IngestBench {
    private static final String KEY = "ll-bench-0123456789abcdef0123456789abcdef";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private IngestBench() {
    }

    public static void main(String[] args) throws Exception {
        int docs = Integer.getInteger("bench.docs", 40);
        List<String> sentences = Corpora.javadocSentences(docs * 200 + 4096);
        System.out.println("## Embedding and ingestion throughput\n");
        System.out.println("| model | input | throughput |");
        System.out.println("|---|---|---|");
        for (boolean quantized : List.of(false, true)) {
            try (OnnxMiniLm model = OnnxMiniLm.load(quantized, Runtime.getRuntime().availableProcessors())) {
                model.embedDocuments(sentences.subList(0, 256)); // warm-up
                List<String> shortOnes = sentences.subList(256, 2304);
                long t0 = System.nanoTime();
                model.embedDocuments(shortOnes);
                double perSecond = shortOnes.size() / ((System.nanoTime() - t0) / 1e9);
                System.out.printf("| %s | %d sentences (avg %.0f tokens) | %.0f sentences/s |%n", model.model(), shortOnes.size(),
                        shortOnes.stream().mapToInt(s -> model.tokenizer().count(s)).average().orElse(0), perSecond);
                List<Chunk> chunks = new Chunker(model::tokenizer).split(String.join(" ", sentences.subList(2304, 4096)), ChunkingStrategy.AUTO);
                List<String> texts = chunks.stream().map(Chunk::text).toList();
                t0 = System.nanoTime();
                model.embedDocuments(texts);
                double seconds = (System.nanoTime() - t0) / 1e9;
                int tokens = chunks.stream().mapToInt(Chunk::tokens).sum();
                System.out.printf("| %s | %d chunks of ≤256 tokens (avg %d) | %.0f chunks/s (%.0f tokens/s) |%n", model.model(), texts.size(),
                        tokens / texts.size(), texts.size() / seconds, tokens / seconds);
            }
        }
        List<String> documents = new ArrayList<>();
        for (int d = 0; d < docs; d++) {
            StringBuilder b = new StringBuilder();
            for (int p = 0; p < 40; p++) {
                b.append(String.join(" ", sentences.subList(4096 + d * 200 + p * 5, 4096 + d * 200 + p * 5 + 5))).append("\n\n");
            }
            documents.add(b.toString());
        }
        System.out.println("\n| service path (HTTP upload → completed) | files | chunks | seconds | chunks/s |");
        System.out.println("|---|---|---|---|---|");
        for (String embeddings : List.of("onnx", "onnx-int8")) {
            for (String chunking : List.of("{\"type\":\"auto\"}",
                    "{\"type\":\"static\",\"static\":{\"max_chunk_size_tokens\":100,\"chunk_overlap_tokens\":20}}")) {
                service(embeddings, chunking, documents);
            }
        }
    }

    private static void service(String embeddings, String chunking, List<String> documents) throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("LOOPLINE_DATA_DIR", Files.createTempDirectory("ingest-bench").toString());
        env.put("LOOPLINE_PORT", "0");
        env.put("LOOPLINE_DEV_API_KEY", KEY);
        env.put("LOOPLINE_EMBEDDINGS", embeddings);
        env.put("LOOPLINE_LOG_LEVEL", "WARNING");
        LogSetup.install("WARNING");
        try (Main.Running app = Main.start(Settings.of(env), "vector-store")) {
            String base = "http://127.0.0.1:" + app.port();
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < documents.size(); i++) {
                ids.add(Json.parse(upload(base, "doc" + i + ".txt", documents.get(i))).get("id").asText());
            }
            // Load the model before timing: a cold start is not ingestion throughput.
            String warm = Json.parse(post(base, "/v1/vector_stores", "{}")).get("id").asText();
            post(base, "/v1/vector_stores/" + warm + "/search", "{\"query\":\"warm up\"}");
            String vs = Json.parse(post(base, "/v1/vector_stores", "{}")).get("id").asText();
            long t0 = System.nanoTime();
            post(base, "/v1/vector_stores/" + vs + "/file_batches", "{\"file_ids\":" + Json.string(ids) + ",\"chunking_strategy\":" + chunking + "}");
            JsonNode store;
            do {
                Thread.sleep(50);
                store = Json.parse(get(base, "/v1/vector_stores/" + vs));
            } while (store.path("file_counts").path("in_progress").asInt() > 0);
            double seconds = (System.nanoTime() - t0) / 1e9;
            int chunks = 0;
            for (String id : ids) {
                chunks += Json.parse(get(base, "/v1/vector_stores/" + vs + "/files/" + id + "/content")).path("data").size();
            }
            System.out.printf("| %s, chunking %s | %d | %d | %.1f | %.0f |%n", embeddings, chunking.contains("static") ? "static 100/20" : "auto (256/64)",
                    ids.size(), chunks, seconds, chunks / seconds);
        }
    }

    private static String upload(String base, String name, String text) throws Exception {
        String boundary = "----bench" + System.nanoTime();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nassistants\r\n--" + boundary
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name + "\"\r\nContent-Type: text/plain\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8));
        body.writeBytes(text.getBytes(StandardCharsets.UTF_8));
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return send(HttpRequest.newBuilder(URI.create(base + "/v1/files")).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())));
    }

    private static String post(String base, String path, String json) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    private static String get(String base, String path) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
    }

    private static String send(HttpRequest.Builder req) throws Exception {
        HttpResponse<String> r = HTTP.send(req.header("Authorization", "Bearer " + KEY).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(r.statusCode() + " " + r.body());
        }
        return r.body();
    }
}
