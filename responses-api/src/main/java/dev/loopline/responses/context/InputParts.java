package dev.loopline.responses.context;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.json.Json;
import dev.loopline.common.net.ImageUrls;
import dev.loopline.responses.loop.ToolResults;

import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/**
 * A message's content as the chat API takes it. Text parts stay text. {@code input_image} becomes
 * an {@code image_url} part (an uploaded file by {@code file_id} as a data: URL), which a
 * multimodal model reads and any other model refuses (its 400 is the caller's). {@code input_file}
 * becomes text: the file (by {@code file_id}, or {@code file_data}) parsed as file_search parses
 * uploads (PDF, HTML, Markdown, CSV, JSON, text, code; the vector store does the parsing), headed
 * by its name and trimmed by the tool-result rule ({@link ToolResults}). A content that is all text
 * stays a plain string.
 */
public final class InputParts {
    /** The caller's files (the Files API and the vector store's document text, as the caller). */
    public interface Files {
        /** An uploaded file of the caller's tenant with at most {@code maxBytes + 1} of its bytes; null when there is none. */
        Fetched fetch(String fileId, long maxBytes);

        /**
         * The text of a document: {@code {"file_id", "max_bytes"}} or {@code {"filename", "file_data"}}.
         */
        DocumentText text(ObjectNode request);
    }

    public record Fetched(String filename, String contentType, byte[] bytes) {
    }

    /** A document's text, or why there is none. */
    public record DocumentText(Outcome outcome, String filename, String text, String message, String param) {
        public enum Outcome { READ, NOT_FOUND, TOO_LARGE, UNREADABLE }
    }

    /** Text only: for contexts without file access (tests, stores of text). */
    public static final InputParts TEXT_ONLY = new InputParts(new Files() {
        @Override
        public Fetched fetch(String fileId, long maxBytes) {
            return null;
        }

        @Override
        public DocumentText text(ObjectNode request) {
            return new DocumentText(DocumentText.Outcome.UNREADABLE, null, null, "files cannot be read here", null);
        }
    }, null, 0, 0);

    private final Files files;
    private final ImageUrls imageUrls;
    private final long maxImageBytes;
    private final int maxFileChars;
    private final Map<String, Fetched> fetched = new HashMap<>();

    /** @param imageUrls how http(s) image URLs reach the model (fetched by loopline, by default); null: passed on */
    public InputParts(Files files, ImageUrls imageUrls, long maxImageBytes, int maxFileChars) {
        this.files = files;
        this.imageUrls = imageUrls;
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
                    url.put("url", part.path("image_url").isTextual() ? imageUrl(part.get("image_url").asText(), at)
                            : imageDataUrl(part.path("file_id").asText(), at));
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
        return fetched.computeIfAbsent(fileId, id -> files.fetch(id, maxImageBytes));
    }

    /**
     * An image URL as the model gets it: fetched here and inlined ({@link ImageUrls}), so that the
     * model server never fetches a user-given URL itself. In an earlier turn an image that cannot
     * be fetched any more becomes a placeholder rather than a failure.
     */
    private String imageUrl(String url, String at) {
        if (imageUrls == null) {
            return url;
        }
        try {
            return imageUrls.forModel(url, at == null ? "input" : at + ".image_url");
        } catch (ApiException e) {
            if (at == null) {
                return "data:text/plain,image-no-longer-available";
            }
            throw e;
        }
    }

    private String imageDataUrl(String fileId, String at) {
        Fetched f = fetch(fileId);
        if (f == null) {
            return missing(at, fileId, "file_id");
        }
        if (f.bytes().length > maxImageBytes) {
            throw ApiException.badRequest(at + ".file_id", "Image file '" + fileId + "' is larger than " + maxImageBytes + " bytes.");
        }
        String type = ImageUrls.imageType(f.bytes());
        if (type == null) {
            if (at == null) {
                return "data:text/plain,not-an-image";
            }
            throw ApiException.badRequest(at + ".file_id", "File '" + fileId + "' is not a PNG, JPEG, GIF or WebP image.");
        }
        return "data:" + type + ";base64," + Base64.getEncoder().encodeToString(f.bytes());
    }

    private String fileText(JsonNode part, String at) {
        ObjectNode ask = Json.object();
        if (part.path("file_id").isTextual()) {
            ask.put("file_id", part.get("file_id").asText());
            if (at != null) {
                ask.put("max_bytes", maxImageBytes);
            }
        } else {
            ask.put("filename", part.path("filename").asText()).put("file_data", part.path("file_data").asText());
        }
        DocumentText t = files.text(ask);
        return switch (t.outcome()) {
            case READ -> ToolResults.trim("File: " + t.filename() + "\n\n" + t.text(), maxFileChars);
            case NOT_FOUND -> "[" + missing(at, part.path("file_id").asText(), "file_id") + "]";
            case TOO_LARGE -> {
                if (at == null) {
                    yield "[file too large to read: " + t.message() + "]";
                }
                throw part.path("file_id").isTextual()
                        ? ApiException.badRequest(at + ".file_id", "File '" + part.get("file_id").asText() + "' is larger than "
                        + maxImageBytes + " bytes, the most a message may carry.")
                        : ApiException.badRequest(at + ".file_data", t.message());
            }
            case UNREADABLE -> {
                if (at == null) {
                    yield "[" + t.message() + "]";
                }
                if ("file_data".equals(t.param())) {
                    throw ApiException.badRequest(at + ".file_data", t.message());
                }
                throw ApiException.badRequest(at, t.message(), "invalid_file");
            }
        };
    }

    private static String missing(String at, String fileId, String field) {
        if (at == null) {
            return "file " + fileId + " is no longer available";
        }
        throw ApiException.badRequest(at + "." + field, "No file found with id '" + fileId + "'.", "file_not_found");
    }
}
