package dev.loopline.proxy.forward;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;

/**
 * Reads {@code usage} from an OpenAI-style body without building a tree: a streaming scan that
 * skips everything else (responses can be large; usage is a few numbers).
 */
final class UsageParser {
    private static final JsonFactory FACTORY = new JsonFactory();

    record Usage(long prompt, long completion, long cached) {
        static final Usage NONE = new Usage(0, 0, 0);
    }

    private UsageParser() {
    }

    /** Usage of a whole response body, which must be one well-formed JSON object. */
    static Usage parseBody(byte[] json) throws IOException {
        Usage found = Usage.NONE;
        try (JsonParser p = FACTORY.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if ("usage".equals(name) && t == JsonToken.START_OBJECT) {
                    found = usage(p);
                } else {
                    p.skipChildren();
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw new IOException("trailing content");
            }
        }
        return found;
    }

    /** Usage in one streamed event; nothing when it has none or is damaged. */
    static Usage parse(byte[] json, int off, int len) {
        try (JsonParser p = FACTORY.createParser(json, off, len)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return Usage.NONE;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if ("usage".equals(name) && t == JsonToken.START_OBJECT) {
                    return usage(p);
                }
                p.skipChildren();
            }
        } catch (IOException | RuntimeException ignored) {
            // a damaged event: nothing to account
        }
        return Usage.NONE;
    }

    private static Usage usage(JsonParser p) throws IOException {
        long prompt = 0;
        long completion = 0;
        long cached = 0;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            switch (name) {
                case "prompt_tokens" -> prompt = t.isNumeric() ? p.getLongValue() : 0;
                case "completion_tokens" -> completion = t.isNumeric() ? p.getLongValue() : 0;
                case "prompt_tokens_details" -> {
                    if (t == JsonToken.START_OBJECT) {
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String n = p.currentName();
                            JsonToken v = p.nextToken();
                            if ("cached_tokens".equals(n) && v.isNumeric()) {
                                cached = p.getLongValue();
                            } else {
                                p.skipChildren();
                            }
                        }
                    }
                }
                default -> p.skipChildren();
            }
        }
        return new Usage(prompt, completion, cached);
    }

    /** A streamed chunk that carries only usage ({@code "choices":[]}), as stream_options.include_usage adds. */
    static boolean isUsageOnlyChunk(byte[] json, int off, int len) {
        try (JsonParser p = FACTORY.createParser(json, off, len)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return false;
            }
            boolean usage = false;
            boolean emptyChoices = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if ("usage".equals(name) && t == JsonToken.START_OBJECT) {
                    usage = true;
                } else if ("choices".equals(name) && t == JsonToken.START_ARRAY) {
                    emptyChoices = p.nextToken() == JsonToken.END_ARRAY;
                    if (!emptyChoices) {
                        return false;
                    }
                    continue;
                }
                p.skipChildren();
            }
            return usage && emptyChoices;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
