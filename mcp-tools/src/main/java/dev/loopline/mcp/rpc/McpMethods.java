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

    @JsonRpcMethod("ping")
    ObjectNode ping();

    @JsonRpcMethod("tools/list")
    ObjectNode toolsList(@JsonRpcParam("cursor") String cursor);

    @JsonRpcMethod("tools/call")
    ObjectNode toolsCall(@JsonRpcParam("name") String name, @JsonRpcParam("arguments") JsonNode arguments);

    @JsonRpcMethod("logging/setLevel")
    ObjectNode setLevel(@JsonRpcParam("level") String level);
}
