package dev.loopline.vectorstore.files;

import dev.loopline.common.errors.ApiException;
import org.apache.james.mime4j.MimeException;
import org.apache.james.mime4j.stream.EntityState;
import org.apache.james.mime4j.stream.Field;
import org.apache.james.mime4j.stream.MimeConfig;
import org.apache.james.mime4j.stream.MimeTokenStream;
import org.apache.james.mime4j.stream.NameValuePair;
import org.apache.james.mime4j.stream.RawBody;
import org.apache.james.mime4j.stream.RawFieldParser;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code multipart/form-data} upload read as a stream with Apache James mime4j: form fields are
 * kept (small, capped), the one {@code file} part goes straight to a temporary file while its
 * size and SHA-256 are counted, and the upload stops with 413 as soon as it passes the cap.
 */
public final class MultipartUpload implements AutoCloseable {
    private static final int MAX_FIELD_BYTES = 64 * 1024;
    private final Map<String, String> fields;
    private final Path file;
    private final String filename;
    private final String contentType;
    private final long bytes;
    private final String sha256;

    private MultipartUpload(Map<String, String> fields, Path file, String filename, String contentType, long bytes, String sha256) {
        this.fields = fields;
        this.file = file;
        this.filename = filename;
        this.contentType = contentType;
        this.bytes = bytes;
        this.sha256 = sha256;
    }

    public static MultipartUpload read(InputStream body, String requestContentType, long maxFileBytes, Path tmpDir) {
        if (requestContentType == null || !requestContentType.toLowerCase().startsWith("multipart/form-data")) {
            throw ApiException.badRequest(null, "Expected a multipart/form-data body with a 'file' part and a 'purpose' field.",
                    "invalid_content_type");
        }
        MimeConfig config = new MimeConfig.Builder().setMaxLineLen(-1).setMaxHeaderLen(16 * 1024).setMaxHeaderCount(64)
                .setMaxContentLen(-1).build();
        MimeTokenStream stream = new MimeTokenStream(config);
        String boundary = boundary(requestContentType);
        ClosingDelimiter closing = new ClosingDelimiter(body, boundary);
        stream.parseHeadless(closing, requestContentType);
        Map<String, String> fields = new HashMap<>();
        Path file = null;
        String filename = null;
        String partType = null;
        long size = 0;
        String sha = null;
        String name = null;
        String partFilename = null;
        String partContentType = null;
        try {
            for (EntityState state = stream.next(); state != EntityState.T_END_OF_STREAM; state = stream.next()) {
                switch (state) {
                    case T_START_BODYPART -> {
                        name = null;
                        partFilename = null;
                        partContentType = null;
                    }
                    case T_FIELD -> {
                        Field f = stream.getField();
                        if (f.getName().equalsIgnoreCase("Content-Disposition")) {
                            RawBody disposition = RawFieldParser.DEFAULT.parseRawBody(RawFieldParser.DEFAULT.parseField(f.getRaw()));
                            for (NameValuePair p : disposition.getParams()) {
                                if (p.getName().equalsIgnoreCase("name")) {
                                    name = p.getValue();
                                } else if (p.getName().equalsIgnoreCase("filename")) {
                                    partFilename = p.getValue();
                                }
                            }
                        } else if (f.getName().equalsIgnoreCase("Content-Type")) {
                            partContentType = f.getBody().trim();
                        }
                    }
                    case T_BODY -> {
                        if ("file".equals(name)) {
                            if (file != null) {
                                throw ApiException.badRequest("file", "Only one 'file' part is allowed.");
                            }
                            Files.createDirectories(tmpDir);
                            file = Files.createTempFile(tmpDir, "upload-", ".part");
                            filename = partFilename;
                            partType = partContentType;
                            MessageDigest digest = MessageDigest.getInstance("SHA-256");
                            try (InputStream in = stream.getDecodedInputStream();
                                 OutputStream out = Files.newOutputStream(file, StandardOpenOption.WRITE)) {
                                byte[] buf = new byte[64 * 1024];
                                for (int n; (n = in.read(buf)) > 0; ) {
                                    size += n;
                                    if (size > maxFileBytes) {
                                        throw ApiException.payloadTooLarge(maxFileBytes);
                                    }
                                    digest.update(buf, 0, n);
                                    out.write(buf, 0, n);
                                }
                            }
                            sha = HexFormat.of().formatHex(digest.digest());
                        } else if (name != null) {
                            byte[] value = stream.getDecodedInputStream().readNBytes(MAX_FIELD_BYTES + 1);
                            if (value.length > MAX_FIELD_BYTES) {
                                throw ApiException.badRequest(name, "Form field '" + name + "' is too long.");
                            }
                            fields.put(name, new String(value, StandardCharsets.UTF_8));
                        }
                    }
                    default -> {
                    }
                }
            }
        } catch (ApiException e) {
            deleteQuietly(file);
            throw e;
        } catch (IOException | MimeException | RuntimeException e) {
            deleteQuietly(file);
            if (e instanceof UncheckedIOException u && u.getCause() != null) {
                throw u;
            }
            throw ApiException.badRequest(null, "Malformed multipart body: " + e.getMessage(), "invalid_multipart");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        if (!closing.seen()) {
            // mime4j takes a body that just stops as if it ended there: the file would be stored cut short.
            deleteQuietly(file);
            throw ApiException.badRequest(null, "The multipart body ends before its closing boundary ('--" + boundary
                    + "--'): the upload was cut short, and nothing was stored.", "invalid_multipart");
        }
        if (file == null) {
            throw ApiException.badRequest("file", "Missing the 'file' part of the upload.", "missing_required_parameter");
        }
        return new MultipartUpload(fields, file, filename == null || filename.isBlank() ? "upload" : filename, partType, size, sha);
    }

    private static String boundary(String contentType) {
        Matcher m = Pattern.compile("(?i)boundary=(?:\"([^\"]+)\"|([^;\\s]+))").matcher(contentType);
        if (!m.find()) {
            throw ApiException.badRequest(null, "The multipart Content-Type has no boundary.", "invalid_multipart");
        }
        return m.group(1) != null ? m.group(1) : m.group(2);
    }

    /**
     * Passes the body through and notes whether its closing delimiter ({@code CRLF--boundary--})
     * went by: a streaming matcher (KMP) over the bytes, as if a line break came before the first.
     */
    static final class ClosingDelimiter extends FilterInputStream {
        private final byte[] pattern;
        private final int[] fallback;
        private int matched;
        private boolean seen;

        ClosingDelimiter(InputStream in, String boundary) {
            super(in);
            this.pattern = ("\n--" + boundary + "--").getBytes(StandardCharsets.ISO_8859_1);
            this.fallback = new int[pattern.length];
            for (int i = 1, k = 0; i < pattern.length; i++) {
                while (k > 0 && pattern[i] != pattern[k]) {
                    k = fallback[k - 1];
                }
                if (pattern[i] == pattern[k]) {
                    k++;
                }
                fallback[i] = k;
            }
            this.matched = 1; // the line break before the first byte
        }

        boolean seen() {
            return seen;
        }

        private void scan(byte b) {
            while (matched > 0 && b != pattern[matched]) {
                matched = fallback[matched - 1];
            }
            if (b == pattern[matched]) {
                matched++;
            }
            if (matched == pattern.length) {
                seen = true;
                matched = fallback[matched - 1];
            }
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                scan((byte) b);
            }
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            for (int i = 0; i < n; i++) {
                scan(buf[off + i]);
            }
            return n;
        }
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // a temp file; the tmp dir is swept on start
            }
        }
    }

    public String field(String name) {
        return fields.get(name);
    }

    public Path file() {
        return file;
    }

    public String filename() {
        return filename;
    }

    public String contentType() {
        return contentType;
    }

    public long bytes() {
        return bytes;
    }

    public String sha256() {
        return sha256;
    }

    /** Removes the temporary file unless it was moved into the store. */
    @Override
    public void close() {
        deleteQuietly(file);
    }
}
