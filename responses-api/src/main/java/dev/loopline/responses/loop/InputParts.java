package dev.loopline.responses.loop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.json.Json;
import dev.loopline.vectorstore.parse.DocumentParser;

import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/**
 * A message's content as the chat API takes it. Text parts stay text. {@code input_image} becomes
 * an {@code image_url} part (an uploaded file by {@code file_id} as a data: URL), which a
 * multimodal model reads and any other model refuses (its 400 is the caller's). {@code input_file}
 * becomes text: the file (by {@code file_id}, or {@code file_data}) parsed as file_search parses
 * uploads (PDF, HTML, Markdown, CSV, JSON, text, code), headed by its name and trimmed by the
 * tool-result rule ({@link ToolResults}). A content that is all text stays a plain string.
 */
public final class InputParts {
    /** Reads an uploaded file of the caller's tenant; null when there is none with that id. */
    public interface Files {
        Fetched fetch(String fileId);
    }

    public record Fetched(String filename, String contentType, byte[] bytes) {
    }

    /** Text only: for contexts without file access (tests, stores of text). */
    public static final InputParts TEXT_ONLY = new InputParts(id -> null, 0, 0);

    private final Files files;
    private final long maxImageBytes;
    private final int maxFileChars;
    private final Map<String, Fetched> fetched = new HashMap<>();

    public InputParts(Files files, long maxImageBytes, int maxFileChars) {
        this.files = files;
        this.maxImageBytes = maxImageBytes;
        this.maxFileChars = maxFileChars;
    }

    /**
     * @param where the item's place in this request's input ("input[2]") for error messages, or
     *              null for an earlier item, whose missing file becomes a note instead of a 400
     */
    public JsonNode content(JsonNode message, String where) {
        JsonNode c = message.path("content");
        if (c.isTextual()) {
            return c;
        }
        ArrayNode parts = Json.array();
        boolean textOnly = true;
        StringBuilder text = new StringBuilder();
        for (int k = 0; k < c.size(); k++) {
            JsonNode part = c.get(k);
            String at = where == null ? null : where + ".content[" + k + "]";
            switch (part.path("type").asText()) {
                case "input_image" -> {
                    textOnly = false;
                    ObjectNode url = parts.addObject().put("type", "image_url").putObject("image_url");
                    url.put("url", part.path("image_url").isTextual() ? part.get("image_url").asText() : imageDataUrl(part.path("file_id").asText(), at));
                    if (part.path("detail").isTextual()) {
                        url.put("detail", part.get("detail").asText());
                    }
                }
                case "input_file" -> {
                    String t = fileText(part, at);
                    parts.addObject().put("type", "text").put("text", t);
                    text.append(t);
                }
                default -> {
                    String t = part.path("text").asText("");
                    parts.addObject().put("type", "text").put("text", t);
                    text.append(t);
                }
            }
        }
        return textOnly ? Json.mapper().getNodeFactory().textNode(text.toString()) : parts;
    }

    private Fetched fetch(String fileId) {
        return fetched.computeIfAbsent(fileId, files::fetch);
    }

    private String imageDataUrl(String fileId, String at) {
        Fetched f = fetch(fileId);
        if (f == null) {
            return missing(at, fileId, "file_id");
        }
        if (f.bytes().length > maxImageBytes) {
            throw ApiException.badRequest(at + ".file_id", "Image file '" + fileId + "' is larger than " + maxImageBytes + " bytes.");
        }
        String type = imageType(f.bytes());
        if (type == null) {
            if (at == null) {
                return "data:text/plain,not-an-image";
            }
            throw ApiException.badRequest(at + ".file_id", "File '" + fileId + "' is not a PNG, JPEG, GIF or WebP image.");
        }
        return "data:" + type + ";base64," + Base64.getEncoder().encodeToString(f.bytes());
    }

    private String fileText(JsonNode part, String at) {
        String name;
        String contentType = null;
        byte[] bytes;
        if (part.path("file_id").isTextual()) {
            Fetched f = fetch(part.get("file_id").asText());
            if (f == null) {
                return "[" + missing(at, part.get("file_id").asText(), "file_id") + "]";
            }
            if (f.bytes().length > maxImageBytes && at != null) {
                throw ApiException.badRequest(at + ".file_id", "File '" + part.get("file_id").asText() + "' is larger than "
                        + maxImageBytes + " bytes, the most a message may carry.");
            }
            name = f.filename();
            contentType = f.contentType();
            bytes = f.bytes();
        } else {
            name = part.path("filename").asText();
            String data = part.path("file_data").asText();
            if (data.startsWith("data:")) {
                int comma = data.indexOf(',');
                contentType = comma > 5 ? data.substring(5, comma).replace(";base64", "") : null;
                data = comma < 0 ? "" : data.substring(comma + 1);
            }
            try {
                bytes = Base64.getMimeDecoder().decode(data);
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest(at == null ? "input" : at + ".file_data", "'file_data' is not valid base64.");
            }
        }
        try {
            String body = DocumentParser.parse(name, contentType, bytes);
            return ToolResults.trim("File: " + name + "\n\n" + body, maxFileChars);
        } catch (DocumentParser.UnsupportedFile | DocumentParser.InvalidFile e) {
            if (at == null) {
                return "[file " + name + " could not be read: " + e.getMessage() + "]";
            }
            throw ApiException.badRequest(at, "File '" + name + "' cannot be read: " + e.getMessage(), "invalid_file");
        }
    }

    private static String missing(String at, String fileId, String field) {
        if (at == null) {
            return "file " + fileId + " is no longer available";
        }
        throw ApiException.badRequest(at + "." + field, "No file found with id '" + fileId + "'.", "file_not_found");
    }

    /** The image type by its magic bytes (the client's or upload's claim is not trusted). */
    static String imageType(byte[] b) {
        if (b.length >= 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
            return "image/png";
        }
        if (b.length >= 3 && (b[0] & 0xff) == 0xFF && (b[1] & 0xff) == 0xD8 && (b[2] & 0xff) == 0xFF) {
            return "image/jpeg";
        }
        if (b.length >= 6 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F' && b[3] == '8') {
            return "image/gif";
        }
        if (b.length >= 12 && b[0] == 'R' && b[1] == 'I' && b[2] == 'F' && b[3] == 'F' && b[8] == 'W' && b[9] == 'E' && b[10] == 'B' && b[11] == 'P') {
            return "image/webp";
        }
        return null;
    }
}
