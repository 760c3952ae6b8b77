package dev.loopline.sandbox.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@code POST /v1/sandbox/run} body in SandboxFusion's {@code run_code} shape. Values a caller
 * leaves out take safe defaults; values above the server's maximums are refused (400), never
 * silently raised.
 */
public record RunRequest(String code, String language, double runTimeoutSeconds, int memoryLimitMb, byte[] stdin,
                         Map<String, byte[]> files, List<String> fetchFiles, boolean fetchNewFiles, String runId) {

    public static RunRequest parse(ObjectNode b, SandboxLimits max) {
        JsonNode code = b.get("code");
        if (code == null || !code.isTextual()) {
            throw ApiException.badRequest("code", "'code' is required and must be a string.");
        }
        if (code.asText().length() > max.maxCodeChars()) {
            throw ApiException.badRequest("code", "'code' is longer than the limit of " + max.maxCodeChars() + " characters.");
        }
        String language = b.path("language").asText("python");
        if (!b.path("language").isMissingNode() && !b.path("language").isTextual()) {
            throw ApiException.badRequest("language", "'language' must be a string.");
        }
        if (!language.equals("python") && !language.equals("bash")) {
            throw ApiException.badRequest("language", "Unsupported language '" + language + "': use python or bash.");
        }
        double timeout = number(b, "run_timeout", max.defaultTimeoutSeconds(), 0.1, max.maxTimeoutSeconds());
        int memory = (int) number(b, "memory_limit_MB", max.defaultMemoryMb(), 32, max.maxMemoryMb());
        byte[] stdin = new byte[0];
        JsonNode s = b.get("stdin");
        if (s != null && !s.isNull()) {
            if (!s.isTextual()) {
                throw ApiException.badRequest("stdin", "'stdin' must be a string.");
            }
            stdin = s.asText().getBytes(StandardCharsets.UTF_8);
            if (stdin.length > max.maxStdinBytes()) {
                throw ApiException.badRequest("stdin", "'stdin' is larger than the limit of " + max.maxStdinBytes() + " bytes.");
            }
        }
        Map<String, byte[]> files = new LinkedHashMap<>();
        JsonNode f = b.get("files");
        long total = 0;
        if (f != null && !f.isNull()) {
            if (!f.isObject()) {
                throw ApiException.badRequest("files", "'files' must be an object of path → base64 content.");
            }
            Iterator<Map.Entry<String, JsonNode>> it = f.fields();
            while (it.hasNext()) {
                var e = it.next();
                String path = checkPath("files", e.getKey());
                if (!e.getValue().isTextual()) {
                    throw ApiException.badRequest("files." + path, "File contents must be base64 strings.");
                }
                try {
                    byte[] data = Base64.getDecoder().decode(e.getValue().asText());
                    total += data.length;
                    files.put(path, data);
                } catch (IllegalArgumentException ex) {
                    throw ApiException.badRequest("files." + path, "File content is not valid base64.");
                }
            }
            if (total > max.maxInputFileBytes()) {
                throw ApiException.badRequest("files", "Input files are larger than the limit of " + max.maxInputFileBytes() + " bytes.");
            }
        }
        List<String> fetch = new ArrayList<>();
        JsonNode ff = b.get("fetch_files");
        if (ff != null && !ff.isNull()) {
            if (!ff.isArray()) {
                throw ApiException.badRequest("fetch_files", "'fetch_files' must be an array of paths.");
            }
            for (JsonNode p : ff) {
                if (!p.isTextual()) {
                    throw ApiException.badRequest("fetch_files", "'fetch_files' must hold strings.");
                }
                fetch.add(checkPath("fetch_files", p.asText()));
            }
            if (fetch.size() > 64) {
                throw ApiException.badRequest("fetch_files", "At most 64 files can be fetched.");
            }
        }
        String runId = null;
        JsonNode id = b.get("run_id");
        if (id != null && !id.isNull()) {
            if (!id.isTextual() || !id.asText().matches("[A-Za-z0-9_-]{8,64}")) {
                throw ApiException.badRequest("run_id", "'run_id' must be 8 to 64 letters, digits, '-' or '_'.");
            }
            runId = id.asText();
        }
        JsonNode fetchNew = b.get("fetch_new_files");
        if (fetchNew != null && !fetchNew.isNull() && !fetchNew.isBoolean()) {
            throw ApiException.badRequest("fetch_new_files", "'fetch_new_files' must be a boolean.");
        }
        return new RunRequest(code.asText(), language, timeout, memory, stdin, files, fetch,
                fetchNew != null && fetchNew.asBoolean(false), runId);
    }

    /** Relative paths inside the workspace only. */
    static String checkPath(String field, String path) {
        if (path.isEmpty() || path.length() > 255 || path.startsWith("/") || path.contains("\0")) {
            throw ApiException.badRequest(field, "Invalid path '" + path + "': use a relative path inside the workspace.");
        }
        for (String part : path.split("/")) {
            if (part.equals("..")) {
                throw ApiException.badRequest(field, "Invalid path '" + path + "': '..' is not allowed.");
            }
        }
        return path;
    }

    private static double number(ObjectNode b, String field, double dflt, double min, double max) {
        JsonNode v = b.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isNumber()) {
            throw ApiException.badRequest(field, "'" + field + "' must be a number.");
        }
        if (v.asDouble() < min || v.asDouble() > max) {
            throw ApiException.badRequest(field, "'" + field + "' must be between " + min + " and " + max + " on this server.");
        }
        return v.asDouble();
    }
}
