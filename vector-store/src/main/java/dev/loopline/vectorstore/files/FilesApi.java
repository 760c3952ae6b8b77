package dev.loopline.vectorstore.files;

import dev.loopline.common.auth.AuthenticatedUser;
import dev.loopline.common.auth.Principal;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.http.JsonBodies;
import dev.loopline.common.ids.Ids;
import dev.loopline.common.json.Json;
import dev.loopline.vectorstore.api.Lists;
import dev.loopline.vectorstore.parse.DocumentParser;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.Set;

/** {@code /v1/files}: upload (multipart), list, get, content, delete. */
public final class FilesApi {
    static final Set<String> PURPOSES = Set.of("assistants", "batch", "fine-tune", "vision", "user_data", "evals");
    private final FileStore store;
    private final long maxFileBytes;
    private final FileDeletion deletion;

    /** What else must go when a file is deleted (its chunks in every vector store). */
    public interface FileDeletion {
        void removeEverywhere(String tenant, String fileId);
    }

    public FilesApi(FileStore store, long maxFileBytes, FileDeletion deletion) {
        this.store = store;
        this.maxFileBytes = maxFileBytes;
        this.deletion = deletion;
    }

    public void routing(HttpRouting.Builder routing) {
        routing.post("/v1/files", this::upload)
                .get("/v1/files", this::list)
                .get("/v1/files/{id}", this::get)
                .get("/v1/files/{id}/content", this::content)
                .delete("/v1/files/{id}", this::delete);
    }

    private void upload(ServerRequest req, ServerResponse res) {
        Principal who = AuthenticatedUser.require();
        long declared = req.headers().contentLength().orElse(-1);
        if (declared > maxFileBytes + 64 * 1024) {
            throw ApiException.payloadTooLarge(maxFileBytes);
        }
        String contentType = req.headers().first(HeaderNames.CONTENT_TYPE).orElse(null);
        try (MultipartUpload up = MultipartUpload.read(req.content().inputStream(), contentType, maxFileBytes, store.tmpDir())) {
            String purpose = up.field("purpose");
            if (purpose == null) {
                throw ApiException.badRequest("purpose", "Missing required parameter: 'purpose'.", "missing_required_parameter");
            }
            if (!PURPOSES.contains(purpose)) {
                throw ApiException.badRequest("purpose", "'" + purpose + "' is not a supported purpose; expected one of "
                        + String.join(", ", PURPOSES.stream().sorted().toList()) + ".", "invalid_value");
            }
            if (up.bytes() == 0) {
                throw ApiException.badRequest("file", "The uploaded file is empty.", "invalid_file");
            }
            if (up.filename().length() > 1024) {
                throw ApiException.badRequest("file", "The file name is longer than 1024 characters.", "invalid_file");
            }
            checkTextIsText(up);
            long now = System.currentTimeMillis() / 1000;
            Long expiresAt = expiresAt(up, now);
            FileRecord saved = store.save(new FileRecord(Ids.next("file", "-"), who.tenantId(), who.userId(), up.filename(), purpose,
                    up.bytes(), contentType(up), up.sha256(), now, expiresAt), up.file());
            JsonBodies.send(res, saved.toJson());
        }
    }

    /**
     * The content type kept with the file: as declared, unless neither it nor the name says what the
     * file is (openai-java sends {@code upload}, {@code application/octet-stream}): then what its
     * first bytes show, so file search and {@code input_file} read it as what it is.
     */
    private static String contentType(MultipartUpload up) {
        if (!DocumentParser.uninformative(up.filename(), up.contentType())) {
            return up.contentType();
        }
        try (InputStream in = Files.newInputStream(up.file())) {
            String sniffed = DocumentParser.sniff(in.readNBytes(64 * 1024));
            return sniffed == null ? up.contentType() : DocumentParser.mediaType(sniffed);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A file named .txt/.md/.json/.csv/.html that holds binary is refused at once, not at ingestion. */
    private static void checkTextIsText(MultipartUpload up) {
        String kind = DocumentParser.kind(up.filename(), null);
        if (kind == null || kind.equals("pdf")) {
            return;
        }
        try (InputStream in = Files.newInputStream(up.file())) {
            byte[] head = in.readNBytes(8192);
            boolean utf16 = head.length >= 2 && ((head[0] & 0xff) == 0xfe || (head[0] & 0xff) == 0xff);
            for (byte b : head) {
                if (b == 0 && !utf16) {
                    throw ApiException.badRequest("file", "'" + up.filename() + "' is named as a text file but holds binary data.",
                            "invalid_file");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Long expiresAt(MultipartUpload up, long now) {
        String anchor = up.field("expires_after[anchor]");
        String seconds = up.field("expires_after[seconds]");
        if (anchor == null && seconds == null) {
            return null;
        }
        if (!"created_at".equals(anchor)) {
            throw ApiException.badRequest("expires_after.anchor", "'expires_after[anchor]' must be 'created_at'.");
        }
        try {
            long s = Long.parseLong(String.valueOf(seconds));
            if (s < 3600 || s > 2_592_000) {
                throw new NumberFormatException();
            }
            return now + s;
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("expires_after.seconds", "'expires_after[seconds]' must be between 3600 and 2592000.");
        }
    }

    private void list(ServerRequest req, ServerResponse res) {
        Principal who = AuthenticatedUser.require();
        Lists.Params p = Lists.params(req, 10000, 10000);
        String purpose = req.query().contains("purpose") ? req.query().get("purpose") : null;
        List<FileRecord> rows = store.list(who.tenantId(), purpose, p.ascending(), p.after(), p.limit());
        JsonBodies.send(res, Lists.page(rows, p.limit(), FileRecord::toJson, FileRecord::id));
    }

    private FileRecord find(ServerRequest req) {
        Principal who = AuthenticatedUser.require();
        String id = req.path().pathParameters().get("id");
        return store.get(who.tenantId(), id).orElseThrow(() -> ApiException.notFound("No such File object: " + id, "id"));
    }

    private void get(ServerRequest req, ServerResponse res) {
        JsonBodies.send(res, find(req).toJson());
    }

    private void content(ServerRequest req, ServerResponse res) {
        FileRecord f = find(req);
        InputStream in;
        try {
            in = store.open(f.id()); // before any header: a missing blob is an error answer, not a cut-off body
        } catch (NoSuchFileException e) {
            throw new ApiException(500, "server_error", "The bytes of file '" + f.id() + "' are not in this server's "
                    + store.blobs().name() + " file storage" + ("local".equals(store.blobs().name())
                    ? " (local storage is per replica: several replicas need LOOPLINE_FILE_STORAGE=database or s3)." : "."), null, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        res.header(HeaderNames.CONTENT_TYPE, f.contentType() == null ? "application/octet-stream" : f.contentType());
        res.header(HeaderNames.CONTENT_LENGTH, Long.toString(f.bytes()));
        try (in; OutputStream out = res.outputStream()) {
            in.transferTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void delete(ServerRequest req, ServerResponse res) {
        FileRecord f = find(req);
        deletion.removeEverywhere(f.tenantId(), f.id());
        store.delete(f.tenantId(), f.id());
        JsonBodies.send(res, Json.object().put("id", f.id()).put("object", "file").put("deleted", true));
    }
}
