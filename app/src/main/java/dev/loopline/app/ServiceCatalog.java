package dev.loopline.app;

import dev.loopline.admin.AdminModule;
import dev.loopline.common.server.Platform;
import dev.loopline.common.server.ServiceModule;
import dev.loopline.mcp.McpToolsModule;
import dev.loopline.proxy.LlmProxyModule;
import dev.loopline.responses.ResponsesModule;
import dev.loopline.sandbox.SandboxModule;
import dev.loopline.vectorstore.VectorStoreModule;

import java.util.ArrayList;
import java.util.List;

/**
 * The services the launcher knows, by the names {@code --service} takes. The Administration API
 * ({@code admin/}) is served with llm-proxy, the gateway whose usage and limits it governs.
 */
final class ServiceCatalog {
    static final List<String> NAMES = List.of("responses-api", "llm-proxy", "mcp-tools", "vector-store", "sandbox");

    private ServiceCatalog() {
    }

    static List<ServiceModule> create(Platform platform, String only, String llmUpstreams) {
        if (only != null && !NAMES.contains(only)) {
            throw new IllegalArgumentException("unknown service '" + only + "'; one of " + NAMES);
        }
        List<ServiceModule> modules = new ArrayList<>();
        if (only == null || only.equals("llm-proxy")) {
            LlmProxyModule proxy = new LlmProxyModule(platform, llmUpstreams);
            modules.add(proxy);
            modules.add(new AdminModule(platform, proxy::models));
        }
        if (only == null || only.equals("mcp-tools")) {
            modules.add(new McpToolsModule(platform));
        }
        if (only == null || only.equals("vector-store")) {
            modules.add(new VectorStoreModule(platform));
        }
        if (only == null || only.equals("sandbox")) {
            modules.add(new SandboxModule(platform));
        }
        if (only == null || only.equals("responses-api")) {
            modules.add(new ResponsesModule(platform));
        }
        return modules;
    }
}
