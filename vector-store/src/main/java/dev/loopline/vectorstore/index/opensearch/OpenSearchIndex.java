package dev.loopline.vectorstore.index.opensearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;
import dev.loopline.vectorstore.chunk.Chunk;
import dev.loopline.vectorstore.index.VectorIndex;
import dev.loopline.vectorstore.search.Filter;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntFunction;

/**
 * The scale-out backend: the same contract as {@code LuceneIndex} over OpenSearch's k-NN plugin
 * with the Lucene engine (HNSW, cosine similarity, efficient filtering inside the k-NN query).
 * One OpenSearch index per vector store ({@code <prefix><store id>}); writes use
 * {@code refresh=true}, so a file reported completed is searchable, and OpenSearch acknowledges
 * only after its translog is fsynced (the default request durability).
 */
public final class OpenSearchIndex implements VectorIndex {
    private static final MediaType JSON = MediaType.get("application/json");
    private static final MediaType NDJSON = MediaType.get("application/x-ndjson");
    private static final int MAX_CHUNKS_PER_FILE = 10_000;
    private final OkHttpClient http;
    private final String baseUrl;
    private final String prefix;
    private final int dimensions;
    private final String textAnalyzer;
    private final Set<String> created = ConcurrentHashMap.newKeySet();

    /**
     * @param textAnalyzer the analyzer of the BM25 text field: {@code english} (stemming, as the
     *                     Lucene backend) needs OpenSearch's analysis-common module, which every
     *                     full distribution has; {@code standard} works everywhere
     */
    public OpenSearchIndex(OkHttpClient http, String baseUrl, String prefix, int dimensions, String textAnalyzer) {
        this.textAnalyzer = textAnalyzer;
        this.http = http;
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.prefix = prefix;
        this.dimensions = dimensions;
    }

    @Override
    public String backend() {
        return "opensearch";
    }

    private String indexName(String storeId) {
        if (!storeId.matches("[A-Za-z0-9_-]+")) {
            throw new IllegalArgumentException("bad vector store id");
        }
        return (prefix + storeId).toLowerCase();
    }

    /** Index settings and mapping: k-NN on, typed attribute fields by dynamic template. */
    ObjectNode indexDefinition() {
        ObjectNode def = Json.object();
        def.putObject("settings").putObject("index").put("knn", true);
        ObjectNode mappings = def.putObject("mappings");
        ArrayNode templates = mappings.putArray("dynamic_templates");
        templates.addObject().putObject("strings").put("path_match", "s.*").putObject("mapping").put("type", "keyword");
        templates.addObject().putObject("numbers").put("path_match", "n.*").putObject("mapping").put("type", "double");
        templates.addObject().putObject("booleans").put("path_match", "b.*").putObject("mapping").put("type", "keyword");
        ObjectNode props = mappings.putObject("properties");
        props.putObject("file_id").put("type", "keyword");
        props.putObject("filename").put("type", "keyword").put("index", false);
        props.putObject("ord").put("type", "integer");
        props.putObject("text").put("type", "text").put("analyzer", textAnalyzer);
        props.putObject("attrs").put("type", "object").put("enabled", false);
        ObjectNode vec = props.putObject("vec").put("type", "knn_vector").put("dimension", dimensions);
        ObjectNode method = vec.putObject("method").put("name", "hnsw").put("engine", "lucene").put("space_type", "cosinesimil");
        method.putObject("parameters").put("m", 32).put("ef_construction", 200);
        return def;
    }

    private void ensureIndex(String storeId) {
        String name = indexName(storeId);
        if (created.contains(name)) {
            return;
        }
        try (Response head = http.newCall(new Request.Builder().url(baseUrl + "/" + name).head().build()).execute()) {
            if (head.code() == 404) {
                // 400 when another replica created it a moment ago: the same definition, fine.
                call("PUT", "/" + name, Json.string(indexDefinition()), JSON, Set.of(200, 400));
            } else if (!head.isSuccessful()) {
                throw new IllegalStateException("OpenSearch answered " + head.code() + " for index " + name);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("OpenSearch unreachable", e);
        }
        // An index another replica has just created may not have its shards yet: its first search would answer 503.
        JsonNode health = call("GET", "/_cluster/health/" + name + "?wait_for_status=yellow&timeout=30s", null, JSON, Set.of(408));
        if (health.path("timed_out").asBoolean(false)) {
            throw new IllegalStateException("OpenSearch index " + name + " did not become available within 30 s");
        }
        created.add(name);
    }

    /** A call; a 503 (shards of a new index not started yet, a node busy) is tried again a few times before it fails. */
    private JsonNode call(String method, String path, String body, MediaType type, Set<Integer> accepted) {
        for (int attempt = 1; ; attempt++) {
            try {
                return callOnce(method, path, body, type, accepted);
            } catch (Unavailable e) {
                if (attempt == 6) {
                    throw new IllegalStateException(e.getMessage());
                }
                try {
                    Thread.sleep(250L * attempt);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e.getMessage());
                }
            }
        }
    }

    /** OpenSearch answered 503. */
    private static final class Unavailable extends RuntimeException {
        Unavailable(String message) {
            super(message, null, false, false);
        }
    }

    private JsonNode callOnce(String method, String path, String body, MediaType type, Set<Integer> accepted) {
        Request.Builder req = new Request.Builder().url(baseUrl + path);
        req.method(method, body == null ? null : RequestBody.create(body.getBytes(StandardCharsets.UTF_8), type));
        try (Response res = http.newCall(req.build()).execute()) {
            String text = res.body().string();
            if (res.code() == 503 && !accepted.contains(503)) {
                throw new Unavailable("OpenSearch " + method + " " + path + " answered 503: " + text.substring(0, Math.min(300, text.length())));
            }
            if (!res.isSuccessful() && !accepted.contains(res.code())) {
                throw new IllegalStateException("OpenSearch " + method + " " + path + " answered " + res.code() + ": "
                        + text.substring(0, Math.min(300, text.length())));
            }
            return text.isEmpty() ? Json.object() : Json.parse(text);
        } catch (IOException e) {
            throw new UncheckedIOException("OpenSearch unreachable", e);
        }
    }

    private static ObjectNode source(String fileId, String filename, int ordinal, String text, JsonNode attributes, float[] vector) {
        ObjectNode doc = Json.object().put("file_id", fileId).put("filename", filename).put("ord", ordinal).put("text", text);
        ObjectNode attrs = attributes == null ? Json.object() : attributes.deepCopy();
        doc.set("attrs", attrs);
        ObjectNode s = doc.putObject("s");
        ObjectNode n = doc.putObject("n");
        ObjectNode b = doc.putObject("b");
        for (Iterator<Map.Entry<String, JsonNode>> it = attrs.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().isTextual()) {
                s.put(e.getKey(), e.getValue().asText());
            } else if (e.getValue().isNumber()) {
                n.put(e.getKey(), e.getValue().asDouble());
            } else if (e.getValue().isBoolean()) {
                b.put(e.getKey(), Boolean.toString(e.getValue().asBoolean()));
            }
        }
        ArrayNode v = doc.putArray("vec");
        for (float x : vector) {
            v.add(x);
        }
        return doc;
    }

    @Override
    public void addFile(String storeId, FileChunks file) {
        ensureIndex(storeId);
        deleteFile(storeId, file.fileId());
        bulkIndex(storeId, file.fileId(), file.chunks().size(), i -> {
            Chunk c = file.chunks().get(i);
            return source(file.fileId(), file.filename(), c.ordinal(), c.text(), file.attributes(), file.vectors().get(i));
        });
    }

    private void bulkIndex(String storeId, String fileId, int count, IntFunction<ObjectNode> doc) {
        String name = indexName(storeId);
        for (int from = 0; from < count; from += 500) {
            StringBuilder ndjson = new StringBuilder();
            for (int i = from; i < Math.min(count, from + 500); i++) {
                ObjectNode d = doc.apply(i);
                ndjson.append("{\"index\":{\"_index\":\"").append(name).append("\",\"_id\":\"").append(fileId).append(':')
                        .append(d.get("ord").asInt()).append("\"}}\n").append(Json.string(d)).append('\n');
            }
            JsonNode r = call("POST", "/_bulk?refresh=true", ndjson.toString(), NDJSON, Set.of());
            if (r.path("errors").asBoolean(false)) {
                String reason = "";
                for (JsonNode item : r.path("items")) {
                    JsonNode error = item.path("index").path("error");
                    if (!error.isMissingNode()) {
                        reason = error.path("type").asText() + ": " + error.path("reason").asText();
                        break;
                    }
                }
                throw new IllegalStateException("OpenSearch bulk indexing failed for " + fileId + ": " + reason);
            }
        }
    }

    /**
     * Finds the file's chunk ids and deletes them in one bulk request (rather than
     * {@code _delete_by_query}, which needs the reindex module that minimal distributions lack).
     */
    @Override
    public void deleteFile(String storeId, String fileId) {
        String name = indexName(storeId);
        ObjectNode q = Json.object().put("size", MAX_CHUNKS_PER_FILE).put("_source", false);
        q.putObject("query").putObject("term").put("file_id", fileId);
        JsonNode r = call("POST", "/" + name + "/_search", Json.string(q), JSON, Set.of(404));
        StringBuilder ndjson = new StringBuilder();
        for (JsonNode h : r.path("hits").path("hits")) {
            ndjson.append("{\"delete\":{\"_index\":\"").append(name).append("\",\"_id\":")
                    .append(Json.string(h.path("_id").asText())).append("}}\n");
        }
        if (!ndjson.isEmpty()) {
            call("POST", "/_bulk?refresh=true", ndjson.toString(), NDJSON, Set.of());
        }
    }

    @Override
    public void updateAttributes(String storeId, String fileId, ObjectNode attributes) {
        List<JsonNode> sources = fileSources(storeId, fileId, true);
        bulkIndex(storeId, fileId, sources.size(), i -> {
            JsonNode s = sources.get(i);
            float[] v = new float[s.path("vec").size()];
            for (int d = 0; d < v.length; d++) {
                v[d] = (float) s.get("vec").get(d).asDouble();
            }
            return source(fileId, s.path("filename").asText(), s.path("ord").asInt(), s.path("text").asText(), attributes, v);
        });
    }

    @Override
    public void dropStore(String storeId) {
        call("DELETE", "/" + indexName(storeId), null, JSON, Set.of(404));
        created.remove(indexName(storeId));
    }

    @Override
    public List<Hit> vectorSearch(String storeId, float[] query, int k, int candidates, Filter filter) {
        ObjectNode body = Json.object().put("size", k);
        body.putObject("_source").putArray("excludes").add("vec");
        ObjectNode knn = body.putObject("query").putObject("knn").putObject("vec");
        ArrayNode v = knn.putArray("vector");
        for (float x : query) {
            v.add(x);
        }
        knn.put("k", Math.max(k, candidates));
        if (filter != null) {
            knn.set("filter", OpenSearchFilters.toQuery(filter));
        }
        return hits(storeId, body);
    }

    @Override
    public List<Hit> textSearch(String storeId, String query, int k, Filter filter) {
        ObjectNode body = Json.object().put("size", k);
        body.putObject("_source").putArray("excludes").add("vec");
        ObjectNode bool = body.putObject("query").putObject("bool");
        bool.putArray("must").addObject().putObject("match").put("text", query);
        if (filter != null) {
            bool.putArray("filter").add(OpenSearchFilters.toQuery(filter));
        }
        return hits(storeId, body);
    }

    private List<Hit> hits(String storeId, ObjectNode body) {
        JsonNode r = call("POST", "/" + indexName(storeId) + "/_search", Json.string(body), JSON, Set.of(404));
        List<Hit> out = new ArrayList<>();
        for (JsonNode h : r.path("hits").path("hits")) {
            JsonNode s = h.path("_source");
            out.add(new Hit(s.path("file_id").asText(), s.path("filename").asText(), s.path("ord").asInt(), s.path("text").asText(),
                    s.path("attrs"), (float) h.path("_score").asDouble()));
        }
        return out;
    }

    private List<JsonNode> fileSources(String storeId, String fileId, boolean withVectors) {
        ObjectNode body = Json.object().put("size", MAX_CHUNKS_PER_FILE);
        if (!withVectors) {
            body.putObject("_source").putArray("excludes").add("vec");
        }
        body.putObject("query").putObject("term").put("file_id", fileId);
        body.putArray("sort").addObject().put("ord", "asc");
        JsonNode r = call("POST", "/" + indexName(storeId) + "/_search", Json.string(body), JSON, Set.of(404));
        List<JsonNode> out = new ArrayList<>();
        r.path("hits").path("hits").forEach(h -> out.add(h.path("_source")));
        return out;
    }

    @Override
    public List<Hit> fileChunks(String storeId, String fileId) {
        return fileSources(storeId, fileId, false).stream()
                .map(s -> new Hit(fileId, s.path("filename").asText(), s.path("ord").asInt(), s.path("text").asText(), s.path("attrs"), 0))
                .toList();
    }

    @Override
    public void close() {
    }
}
