package dev.loopline.mcp;

import dev.loopline.common.config.Settings;
import dev.loopline.common.server.Platform;
import dev.loopline.common.server.ServiceModule;
import dev.loopline.mcp.conformance.ConformanceFixtures;
import dev.loopline.mcp.conformance.ConformanceTools;
import dev.loopline.mcp.rpc.McpHandler;
import dev.loopline.mcp.tools.ToolRegistry;
import dev.loopline.mcp.tools.filesearch.FileSearchTool;
import dev.loopline.mcp.tools.scrape.AddressPolicy;
import dev.loopline.mcp.tools.scrape.SafeFetcher;
import dev.loopline.mcp.tools.scrape.ScrapeTool;
import dev.loopline.mcp.tools.python.PythonExecTool;
import dev.loopline.mcp.tools.websearch.LocalCorpus;
import dev.loopline.mcp.tools.websearch.WebSearchTool;
import dev.loopline.mcp.transport.McpHttpTransport;
import dev.loopline.mcp.transport.McpSessions;
import io.helidon.webserver.http.HttpRouting;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/** mcp-tools: the MCP server ({@code /mcp}, {@code /v1/mcp}) with loopline's built-in tools. */
public final class McpToolsModule implements ServiceModule {
    private final McpHttpTransport transport;
    private final LocalCorpus corpus;

    public McpToolsModule(Platform platform) {
        Settings s = platform.settings();
        List<Path> corpusFiles = s.optional("LOOPLINE_WEBSEARCH_CORPUS", "loopline.mcp.websearch.corpus")
                .map(v -> Arrays.stream(v.split(",")).map(String::trim).filter(x -> !x.isEmpty()).map(Path::of).toList())
                .orElse(List.of());
        this.corpus = new LocalCorpus(corpusFiles);
        ToolRegistry tools = new ToolRegistry()
                .register(new WebSearchTool(corpus))
                .register(new ScrapeTool(new SafeFetcher(platform.http().client(),
                        new AddressPolicy(list(s.string("LOOPLINE_SCRAPE_ALLOW_ADDRESSES", "loopline.mcp.scrape.allow-addresses", ""))),
                        s.duration("LOOPLINE_SCRAPE_TIMEOUT", "loopline.mcp.scrape.timeout", Duration.ofSeconds(20)),
                        s.longValue("LOOPLINE_SCRAPE_MAX_WIRE_BYTES", "loopline.mcp.scrape.max-wire-bytes", 5L * 1024 * 1024),
                        s.longValue("LOOPLINE_SCRAPE_MAX_BYTES", "loopline.mcp.scrape.max-bytes", 10L * 1024 * 1024)),
                        s.integer("LOOPLINE_SCRAPE_MAX_CHARS", "loopline.mcp.scrape.max-chars", 20_000)))
                .register(new FileSearchTool(platform.http().client(), platform.urls()::vectorStore))
                .register(new PythonExecTool(platform.http().client(), platform.urls()::sandbox,
                        s.duration("LOOPLINE_SANDBOX_MAX_TIMEOUT", "loopline.sandbox.max-timeout", Duration.ofSeconds(60)).toMillis() / 1000.0));
        String profile = s.string("LOOPLINE_MCP_PROFILE", "loopline.mcp.profile", "default");
        ConformanceFixtures fixtures = switch (profile) {
            case "default" -> null;
            case "conformance" -> {
                ConformanceTools.register(tools);
                yield new ConformanceFixtures();
            }
            default -> throw new IllegalStateException("LOOPLINE_MCP_PROFILE must be 'default' or 'conformance', not '" + profile + "'");
        };
        McpHandler handler = new McpHandler(tools, fixtures,
                s.integer("LOOPLINE_MCP_PAGE_SIZE", "loopline.mcp.page-size", 50),
                s.integer("LOOPLINE_MCP_MAX_OUTPUT_CHARS", "loopline.mcp.max-output-chars", 100_000),
                McpToolsModule.class.getPackage().getImplementationVersion() == null ? "dev"
                        : McpToolsModule.class.getPackage().getImplementationVersion());
        this.transport = new McpHttpTransport(handler,
                new McpSessions(s.duration("LOOPLINE_MCP_SESSION_IDLE", "loopline.mcp.session-idle", Duration.ofMinutes(30))),
                list(s.string("LOOPLINE_MCP_ALLOWED_ORIGINS", "loopline.mcp.allowed-origins", "")),
                list(s.string("LOOPLINE_MCP_ALLOWED_HOSTS", "loopline.mcp.allowed-hosts", "localhost,127.0.0.1,[::1]")),
                platform.maxBodyBytes());
    }

    private static List<String> list(String csv) {
        return Arrays.stream(csv.split(",")).map(String::trim).filter(x -> !x.isEmpty()).map(String::toLowerCase).toList();
    }

    @Override
    public String name() {
        return "mcp-tools";
    }

    @Override
    public void routing(HttpRouting.Builder routing) {
        transport.routing(routing);
    }

    @Override
    public void close() {
        corpus.close();
    }
}
