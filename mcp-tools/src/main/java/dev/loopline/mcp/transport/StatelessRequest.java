package dev.loopline.mcp.transport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;
import dev.loopline.mcp.rpc.McpError;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import java.util.Set;

/**
 * One 2026-07-28 (stateless) request, checked: what its {@code _meta} declares (protocol version,
 * client capabilities and identity, log level, trace context) and that the HTTP headers say the
 * same as the body ({@code MCP-Protocol-Version}, {@code Mcp-Method}, {@code Mcp-Name}). A
 * request that fails gets the spec's error, always with the request's id: -32602 for a bad
 * {@code _meta}, -32020 for headers that disagree, -32022 for a version not served.
 */
public record StatelessRequest(String protocolVersion, JsonNode clientCapabilities, JsonNode clientInfo, String logLevel,
                               String traceparent) {
    public static final String VERSION_KEY = "io.modelcontextprotocol/protocolVersion";
    public static final String CAPABILITIES_KEY = "io.modelcontextprotocol/clientCapabilities";
    public static final String CLIENT_INFO_KEY = "io.modelcontextprotocol/clientInfo";
    public static final String LOG_LEVEL_KEY = "io.modelcontextprotocol/logLevel";
    public static final String SERVER_INFO_KEY = "io.modelcontextprotocol/serverInfo";
    public static final HeaderName METHOD = HeaderNames.create("Mcp-Method");
    public static final HeaderName NAME = HeaderNames.create("Mcp-Name");
    private static final Set<String> LEVELS = Set.of("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency");
    /** The methods whose {@code params.name} (or {@code uri}) goes in {@code Mcp-Name}. */
    private static final Set<String> NAMED = Set.of("tools/call", "prompts/get", "resources/read");

    /** Whether a request speaks the stateless revision (or an unknown one): its {@code _meta} or its version header says so. */
    public static boolean isStateless(JsonNode msg, Optional<String> versionHeader) {
        JsonNode declared = msg.path("params").path("_meta").path(VERSION_KEY);
        if (declared.isTextual()) {
            return !ProtocolVersions.legacy(declared.asText());
        }
        return versionHeader.isPresent() && !ProtocolVersions.legacy(versionHeader.get());
    }

    /** Checks the envelope; throws the spec's error (its HTTP status from {@link #httpStatus}). */
    public static StatelessRequest check(JsonNode msg, Headers headers) {
        String method = msg.path("method").asText();
        JsonNode meta = msg.path("params").path("_meta");
        Optional<String> asked = headers.first(McpHttpTransport.PROTOCOL_VERSION);
        if (!meta.path(VERSION_KEY).isTextual() && asked.isPresent() && !asked.get().equals(ProtocolVersions.MODERN)) {
            // A version header this server does not speak, and no envelope: say which versions it does.
            throw unsupported(asked.get());
        }
        if (!meta.isObject()) {
            throw new McpError(McpError.INVALID_PARAMS, "Invalid params: a " + ProtocolVersions.MODERN + " request carries params._meta");
        }
        JsonNode version = meta.path(VERSION_KEY);
        if (!version.isTextual() || version.asText().isBlank()) {
            throw new McpError(McpError.INVALID_PARAMS, "Invalid params: params._meta['" + VERSION_KEY + "'] is required");
        }
        JsonNode caps = meta.path(CAPABILITIES_KEY);
        if (!caps.isObject()) {
            throw new McpError(McpError.INVALID_PARAMS, "Invalid params: params._meta['" + CAPABILITIES_KEY + "'] must be an object");
        }
        Optional<String> versionHeader = headers.first(McpHttpTransport.PROTOCOL_VERSION);
        if (versionHeader.isEmpty() || !versionHeader.get().equals(version.asText())) {
            throw new McpError(McpError.HEADER_MISMATCH, "Header mismatch: MCP-Protocol-Version header value '" + versionHeader.orElse("")
                    + "' does not match body value '" + version.asText() + "'");
        }
        if (!version.asText().equals(ProtocolVersions.MODERN)) {
            throw unsupported(version.asText());
        }
        Optional<String> methodHeader = headers.first(METHOD);
        if (methodHeader.isEmpty() || !methodHeader.get().equals(method)) {
            throw new McpError(McpError.HEADER_MISMATCH, "Header mismatch: Mcp-Method header value '" + methodHeader.orElse("")
                    + "' does not match body value '" + method + "'");
        }
        if (NAMED.contains(method)) {
            JsonNode name = method.equals("resources/read") ? msg.path("params").path("uri") : msg.path("params").path("name");
            Optional<String> nameHeader = headers.first(NAME).map(StatelessRequest::decode);
            if (name.isTextual() && (nameHeader.isEmpty() || !nameHeader.get().equals(name.asText()))) {
                throw new McpError(McpError.HEADER_MISMATCH, "Header mismatch: Mcp-Name header value '" + headers.first(NAME).orElse("")
                        + "' does not match body value '" + name.asText() + "'");
            }
        }
        JsonNode level = meta.path(LOG_LEVEL_KEY);
        if (!level.isMissingNode() && !level.isNull() && !LEVELS.contains(level.asText())) {
            throw new McpError(McpError.INVALID_PARAMS, "Invalid params: params._meta['" + LOG_LEVEL_KEY + "'] is not a log level");
        }
        return new StatelessRequest(version.asText(), caps, meta.path(CLIENT_INFO_KEY), level.isTextual() ? level.asText() : null,
                meta.path("traceparent").isTextual() ? meta.get("traceparent").asText() : null);
    }

    private static McpError unsupported(String requested) {
        ObjectNode data = Json.object();
        ProtocolVersions.ALL.forEach(data.putArray("supported")::add);
        data.put("requested", requested);
        return new McpError(McpError.UNSUPPORTED_PROTOCOL_VERSION, "Unsupported protocol version " + requested + "; this server speaks "
                + String.join(", ", ProtocolVersions.ALL), data);
    }

    /** A header value in the spec's Base64 sentinel form ({@code =?base64?…?=}) decoded; any other value as it is. */
    static String decode(String value) {
        if (value.startsWith("=?base64?") && value.endsWith("?=") && value.length() >= 11) {
            try {
                return new String(Base64.getDecoder().decode(value.substring(9, value.length() - 2)), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return "\u0000invalid";
            }
        }
        return value;
    }

    /** The HTTP status a stateless request's error is sent with: 404 for an unknown method, 400 for the envelope's errors. */
    public static int httpStatus(int code) {
        return switch (code) {
            case McpError.METHOD_NOT_FOUND -> 404;
            case McpError.HEADER_MISMATCH, McpError.MISSING_CLIENT_CAPABILITY, McpError.UNSUPPORTED_PROTOCOL_VERSION,
                 McpError.INVALID_REQUEST, McpError.PARSE_ERROR -> 400;
            default -> 200;
        };
    }
}
