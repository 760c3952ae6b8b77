package dev.loopline.vectorstore.parse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.auth.AuthenticatedUser;
import dev.loopline.common.auth.Principal;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.http.JsonBodies;
import dev.loopline.common.json.Json;
import dev.loopline.vectorstore.files.FileRecord;
import dev.loopline.vectorstore.files.FileStore;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.nio.file.Files;
import java.util.Base64;

/**
 * {@code POST /v1/documents/text} (a loopline extension): the text of a document as file_search
 * indexes it ({@link DocumentParser}), for the Responses API's {@code input_file} parts. The parser
 * (PDFBox, jsoup, commons-csv) lives here only, so responses-api running alone does not carry it.
 * <pre>
 *   {"file_id": "file-…", "max_bytes": 20971520}               an uploaded file of the caller's tenant
 *   {"filename": "a.csv", "file_data": "base64 or data: URL"}    bytes sent along
 * → {"object": "document.text", "filename": "…", "bytes": n, "text": "…"}
 * </pre>
 * 404 for an unknown id (or another tenant's); 413 {@code file_too_large} past {@code max_bytes};
 * 400 {@code invalid_file} or {@code unsupported_file} ("File '…' cannot be read: why").
 */
public final class DocumentTextApi {
    private final FileStore files;
    private final long maxBodyBytes;

    public DocumentTextApi(FileStore files, long maxBodyBytes) {
        this.files = files;
        this.maxBodyBytes = maxBodyBytes;
    }

    public void routing(HttpRouting.Builder routing) {
        routing.post("/v1/documents/text", this::text);
    }

    private void text(ServerRequest req, ServerResponse res) {
        Principal who = AuthenticatedUser.require();
        ObjectNode body = JsonBodies.readObject(req, maxBodyBytes);
        String filename;
        String contentType = null;
        byte[] bytes;
        if (body.path("file_id").isTextual()) {
            String id = body.get("file_id").asText();
            FileRecord f = files.get(who.tenantId(), id).orElseThrow(() -> ApiException.notFound("No such File object: " + id, "file_id"));
            long max = body.path("max_bytes").asLong(Long.MAX_VALUE);
            if (f.bytes() > max) {
                throw new ApiException(413, "invalid_request_error", "File '" + id + "' is larger than " + max + " bytes.", "file_id",
                        "file_too_large");
            }
            filename = f.filename();
            contentType = f.contentType();
            bytes = files.bytes(f.id());
        } else if (body.path("file_data").isTextual() && body.path("filename").isTextual()) {
            filename = body.get("filename").asText();
            String data = body.get("file_data").asText();
            if (data.startsWith("data:")) {
                int comma = data.indexOf(',');
                contentType = comma > 5 ? data.substring(5, comma).replace(";base64", "") : null;
                data = comma < 0 ? "" : data.substring(comma + 1);
            }
            try {
                bytes = Base64.getDecoder().decode(data.replaceAll("\\s+", "")); // strict: stray characters are an error, not skipped
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("file_data", "'file_data' is not valid base64.");
            }
        } else {
            throw ApiException.badRequest("file_id", "Give 'file_id', or 'file_data' (base64 or a data: URL) with 'filename'.");
        }
        try {
            String text = DocumentParser.parse(filename, contentType, bytes);
            JsonBodies.send(res, Json.object().put("object", "document.text").put("filename", filename).put("bytes", bytes.length)
                    .put("text", text));
        } catch (DocumentParser.UnsupportedFile e) {
            throw ApiException.badRequest(null, "File '" + filename + "' cannot be read: " + e.getMessage(), "unsupported_file");
        } catch (DocumentParser.InvalidFile e) {
            throw ApiException.badRequest(null, "File '" + filename + "' cannot be read: " + e.getMessage(), "invalid_file");
        }
    }
}
