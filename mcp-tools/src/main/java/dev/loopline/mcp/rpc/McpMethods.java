package dev.loopline.mcp.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.googlecode.jsonrpc4j.JsonRpcMethod;
import com.googlecode.jsonrpc4j.JsonRpcParam;

/** The MCP methods this server answers, as jsonrpc4j dispatches them (named params, as MCP sends them). */
public interface McpMethods {
    @JsonRpcMethod("initialize")
    ObjectNode initialize(@JsonRpcParam("protocolVersion") String protocolVersion,
                          @JsonRpcParam("capabilities") JsonNode capabilities,
                          @JsonRpcParam("clientInfo") JsonNode clientInfo);

    /** 2026-07-28: the versions, capabilities and identity of this server. */
    @JsonRpcMethod("server/discover")
    ObjectNode discover();

    @JsonRpcMethod("ping")
    ObjectNode ping();

    @JsonRpcMethod("tools/list")
    ObjectNode toolsList(@JsonRpcParam("cursor") String cursor);

    @JsonRpcMethod("tools/call")
    ObjectNode toolsCall(@JsonRpcParam("name") String name, @JsonRpcParam("arguments") JsonNode arguments,
                         @JsonRpcParam("inputResponses") JsonNode inputResponses, @JsonRpcParam("requestState") String requestState);

    @JsonRpcMethod("logging/setLevel")
    ObjectNode setLevel(@JsonRpcParam("level") String level);

    // Resources, prompts and completion exist only with the conformance profile (else -32601).

    @JsonRpcMethod("resources/list")
    ObjectNode resourcesList(@JsonRpcParam("cursor") String cursor);

    @JsonRpcMethod("resources/templates/list")
    ObjectNode resourceTemplatesList(@JsonRpcParam("cursor") String cursor);

    @JsonRpcMethod("resources/read")
    ObjectNode resourcesRead(@JsonRpcParam("uri") String uri);

    @JsonRpcMethod("resources/subscribe")
    ObjectNode resourcesSubscribe(@JsonRpcParam("uri") String uri);

    @JsonRpcMethod("resources/unsubscribe")
    ObjectNode resourcesUnsubscribe(@JsonRpcParam("uri") String uri);

    @JsonRpcMethod("prompts/list")
    ObjectNode promptsList(@JsonRpcParam("cursor") String cursor);

    @JsonRpcMethod("prompts/get")
    ObjectNode promptsGet(@JsonRpcParam("name") String name, @JsonRpcParam("arguments") JsonNode arguments,
                          @JsonRpcParam("inputResponses") JsonNode inputResponses);

    @JsonRpcMethod("completion/complete")
    ObjectNode complete(@JsonRpcParam("ref") JsonNode ref, @JsonRpcParam("argument") JsonNode argument);
}
