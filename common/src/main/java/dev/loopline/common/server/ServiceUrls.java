package dev.loopline.common.server;

import dev.loopline.common.config.Settings;

/**
 * Where each service is reached. Services call each other over HTTP even in one JVM, so the
 * all-in-one and the distributed deployments run the same code path; unset URLs point at this
 * process's own port.
 */
public final class ServiceUrls {
    private final Settings settings;
    private volatile String self = "http://127.0.0.1:8080";

    public ServiceUrls(Settings settings) {
        this.settings = settings;
    }

    public void selfPort(int port) {
        self = "http://127.0.0.1:" + port;
    }

    /** Whether a service URL is this process's own (the all-in-one default): nothing to check over the network. */
    public boolean isSelf(String url) {
        return url.equals(self);
    }

    public String llmProxy() {
        return settings.string("LOOPLINE_LLM_PROXY_URL", "loopline.services.llm-proxy", self);
    }

    public String mcpTools() {
        return settings.string("LOOPLINE_MCP_URL", "loopline.services.mcp-tools", self) ;
    }

    public String vectorStore() {
        return settings.string("LOOPLINE_VECTOR_STORE_URL", "loopline.services.vector-store", self);
    }

    public String sandbox() {
        return settings.string("LOOPLINE_SANDBOX_URL", "loopline.services.sandbox", self);
    }
}
