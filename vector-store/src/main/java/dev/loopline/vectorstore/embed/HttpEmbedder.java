package dev.loopline.vectorstore.embed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Embeddings from an OpenAI-compatible {@code POST /v1/embeddings} (loopline's llm-proxy in front
 * of a vLLM embedding model, by default). Vectors are L2-normalised here, because the index scores
 * by dot product; a reply of the wrong dimension is an error, never indexed.
 */
public final class HttpEmbedder implements Embedder {
    private static final MediaType JSON = MediaType.get("application/json");
    private static final int BATCH = 64;
    private final OkHttpClient http;
    private final Supplier<String> baseUrl;
    private final String apiKey;
    private final String model;
    private final int dimensions;

    public HttpEmbedder(OkHttpClient http, Supplier<String> baseUrl, String apiKey, String model, int dimensions) {
        this.http = http;
        this.baseUrl = baseUrl;
        this.apiKey = apiKey;
        this.model = model;
        this.dimensions = dimensions;
    }

    @Override
    public String model() {
        return model;
    }

    @Override
    public int dimensions() {
        return dimensions;
    }

    @Override
    public List<float[]> embedDocuments(List<String> texts) {
        List<float[]> out = new ArrayList<>(texts.size());
        for (int from = 0; from < texts.size(); from += BATCH) {
            out.addAll(call(texts.subList(from, Math.min(texts.size(), from + BATCH))));
        }
        return out;
    }

    @Override
    public List<float[]> embedQueries(List<String> texts) {
        return embedDocuments(texts);
    }

    private List<float[]> call(List<String> texts) {
        ObjectNode body = Json.object().put("model", model);
        ArrayNode input = body.putArray("input");
        texts.forEach(input::add);
        Request.Builder req = new Request.Builder().url(baseUrl.get() + "/v1/embeddings")
                .post(RequestBody.create(Json.bytes(body), JSON));
        if (apiKey != null) {
            req.header("Authorization", "Bearer " + apiKey);
        }
        try (Response res = http.newCall(req.build()).execute()) {
            String text = res.body().string();
            if (!res.isSuccessful()) {
                throw new IllegalStateException("embeddings upstream answered " + res.code() + ": "
                        + text.substring(0, Math.min(300, text.length())));
            }
            JsonNode data = Json.parse(text).path("data");
            float[][] vectors = new float[texts.size()][];
            for (JsonNode item : data) {
                int i = item.path("index").asInt(-1);
                JsonNode e = item.path("embedding");
                if (i < 0 || i >= texts.size() || !e.isArray()) {
                    throw new IllegalStateException("embeddings upstream sent a malformed item");
                }
                if (e.size() != dimensions) {
                    throw new IllegalStateException("embeddings upstream sent " + e.size() + "-dimensional vectors; "
                            + model + " is configured as " + dimensions + "-dimensional");
                }
                float[] v = new float[e.size()];
                for (int d = 0; d < v.length; d++) {
                    v[d] = (float) e.get(d).asDouble();
                }
                vectors[i] = OnnxMiniLm.normalize(v);
            }
            List<float[]> out = new ArrayList<>(texts.size());
            for (float[] v : vectors) {
                if (v == null) {
                    throw new IllegalStateException("embeddings upstream left out some inputs");
                }
                out.add(v);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("embeddings upstream unreachable: " + e.getMessage(), e);
        }
    }
}
