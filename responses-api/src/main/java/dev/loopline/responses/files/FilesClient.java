package dev.loopline.responses.files;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.json.Json;
import dev.loopline.responses.context.InputParts;
import dev.loopline.responses.context.InputParts.DocumentText;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.Buffer;
import okio.BufferedSource;

import java.io.IOException;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The caller's files as a message's {@code input_image} and {@code input_file} parts need them,
 * asked of the vector-store service over HTTP with the caller's credential (so tenant isolation
 * is the Files API's): an image's bytes from {@code /v1/files/{id}/content}, a document's text
 * from {@code /v1/documents/text} (parsing stays in vector-store, with its PDF and HTML libraries).
 */
public final class FilesClient {
    private static final MediaType JSON = MediaType.get("application/json");
    private static final Pattern FILE_ID = Pattern.compile("[A-Za-z0-9_-]{1,128}");
    private final OkHttpClient http;
    private final Supplier<String> vectorStoreUrl;

    /** @param vectorStoreUrl asked per call (in the all-in-one server, this process's own port) */
    public FilesClient(OkHttpClient http, Supplier<String> vectorStoreUrl) {
        this.http = http;
        this.vectorStoreUrl = vectorStoreUrl;
    }

    /** The files of the caller whose credential this is. */
    public InputParts.Files forCaller(String bearer) {
        return new InputParts.Files() {
            @Override
            public InputParts.Fetched fetch(String fileId, long maxBytes) {
                return FilesClient.this.fetch(fileId, maxBytes, bearer);
            }

            @Override
            public DocumentText text(ObjectNode request) {
                return FilesClient.this.text(request, bearer);
            }
        };
    }

    private InputParts.Fetched fetch(String fileId, long maxBytes, String bearer) {
        if (!FILE_ID.matcher(fileId).matches()) {
            return null;
        }
        String base = vectorStoreUrl.get() + "/v1/files/" + fileId;
        try (Response meta = http.newCall(new Request.Builder().url(base).header("Authorization", bearer).build()).execute()) {
            if (meta.code() == 404) {
                return null;
            }
            if (!meta.isSuccessful()) {
                throw ApiException.badGateway("The Files API answered HTTP " + meta.code() + " for file " + fileId + ".");
            }
            String filename = Json.parse(meta.body().string()).path("filename").asText(fileId);
            try (Response content = http.newCall(new Request.Builder().url(base + "/content").header("Authorization", bearer).build())
                    .execute()) {
                if (!content.isSuccessful()) {
                    return null;
                }
                // At most one byte past the cap, whether or not the length was declared.
                Buffer bytes = new Buffer();
                BufferedSource src = content.body().source();
                while (bytes.size() <= maxBytes && src.read(bytes, maxBytes + 1 - bytes.size()) != -1) {
                    // reading
                }
                return new InputParts.Fetched(filename, content.header("Content-Type"), bytes.readByteArray());
            }
        } catch (IOException e) {
            throw ApiException.badGateway("The Files API could not be reached.");
        }
    }

    private DocumentText text(ObjectNode request, String bearer) {
        if (request.path("file_id").isTextual() && !FILE_ID.matcher(request.get("file_id").asText()).matches()) {
            return new DocumentText(DocumentText.Outcome.NOT_FOUND, null, null, null, "file_id");
        }
        Request req = new Request.Builder().url(vectorStoreUrl.get() + "/v1/documents/text").header("Authorization", bearer)
                .post(RequestBody.create(Json.bytes(request), JSON)).build();
        try (Response res = http.newCall(req).execute()) {
            JsonNode body = Json.parse(res.body().string());
            if (res.isSuccessful()) {
                return new DocumentText(DocumentText.Outcome.READ, body.path("filename").asText(), body.path("text").asText(), null, null);
            }
            JsonNode e = body.path("error");
            String message = e.path("message").asText("The file could not be read.");
            String param = e.path("param").isTextual() ? e.get("param").asText() : null;
            return switch (res.code()) {
                case 404 -> new DocumentText(DocumentText.Outcome.NOT_FOUND, null, null, message, param);
                case 413 -> new DocumentText(DocumentText.Outcome.TOO_LARGE, null, null, message, param);
                case 400 -> new DocumentText(DocumentText.Outcome.UNREADABLE, null, null, message, param);
                default -> throw ApiException.badGateway("The vector store answered HTTP " + res.code() + " when reading a file.");
            };
        } catch (IOException e) {
            throw ApiException.badGateway("The vector store could not be reached.");
        }
    }
}
