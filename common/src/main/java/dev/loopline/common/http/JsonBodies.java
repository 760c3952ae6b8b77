package dev.loopline.common.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.json.Json;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Locale;

/** Reading request bodies under a size cap, and writing JSON responses. */
public final class JsonBodies {
    /** Request bodies: one JSON value and nothing after it (trailing garbage is a 400, not ignored). */
    private static final ObjectReader STRICT = Json.mapper().reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private JsonBodies() {
    }

    /** Reads the whole body, failing with 413 as soon as it passes {@code maxBytes} (never buffering more). */
    public static byte[] readBytes(ServerRequest req, long maxBytes) {
        long declared = req.headers().contentLength().orElse(-1L);
        if (declared > maxBytes) {
            throw ApiException.payloadTooLarge(maxBytes);
        }
        if (!req.content().hasEntity()) {
            return new byte[0];
        }
        try (InputStream in = req.content().inputStream()) {
            if (declared >= 0) {
                // The declared length, read into an array of that size (not in buffers sized for the cap).
                byte[] exact = in.readNBytes((int) declared);
                if (exact.length < declared) {
                    throw ApiException.badRequest(null, "The request body is shorter than its Content-Length.");
                }
                return exact;
            }
            byte[] all = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
            if (all.length > maxBytes) {
                throw ApiException.payloadTooLarge(maxBytes);
            }
            return all;
        } catch (IOException e) {
            throw ApiException.badRequest(null, "The request body could not be read.");
        }
    }

    /**
     * Reads a JSON object body: a body declared as something other than JSON, malformed JSON, JSON
     * followed by anything but whitespace, and non-object bodies are 400s.
     */
    public static ObjectNode readObject(ServerRequest req, long maxBytes) {
        req.headers().contentType().ifPresent(type -> {
            String media = type.mediaType().text().toLowerCase(Locale.ROOT);
            if (!media.equals("application/json") && !media.endsWith("+json")) {
                throw ApiException.badRequest(null, "The request body must be JSON, sent with 'Content-Type: application/json' (not "
                        + media + ").", "invalid_content_type");
            }
        });
        return parseObject(readBytes(req, maxBytes));
    }

    /** Parses a JSON object body already read: malformed JSON and non-object bodies are 400s. */
    public static ObjectNode parseObject(byte[] bytes) {
        if (bytes.length == 0) {
            throw ApiException.badRequest(null, "The request body is empty; a JSON object is expected.", "invalid_json");
        }
        JsonNode node;
        try {
            node = STRICT.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw ApiException.invalidJson();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (node == null || !node.isObject()) {
            throw ApiException.badRequest(null, "The request body must be a JSON object.", "invalid_json");
        }
        return (ObjectNode) node;
    }

    public static void send(ServerResponse res, int status, Object body) {
        res.status(Status.create(status));
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(Json.bytes(body));
    }

    public static void send(ServerResponse res, Object body) {
        send(res, 200, body);
    }
}
