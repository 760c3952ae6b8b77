package dev.loopline.mcp;

import dev.loopline.common.config.Settings;
import dev.loopline.common.config.SharedSettings;
import dev.loopline.common.json.Json;
import dev.loopline.common.net.AddressPolicy;
import dev.loopline.common.observe.Health;
import dev.loopline.common.server.PeerCheck;
import dev.loopline.common.server.Platform;
import dev.loopline.common.server.ServiceModule;
import dev.loopline.mcp.conformance.ConformanceFixtures;
import dev.loopline.mcp.conformance.ConformanceTools;
import dev.loopline.mcp.rpc.McpHandler;
import dev.loopline.mcp.tools.ToolRegistry;
import dev.loopline.mcp.tools.filesearch.FileSearchTool;
import dev.loopline.mcp.tools.python.PythonExecTool;
import dev.loopline.mcp.tools.scrape.SafeFetcher;
import dev.loopline.mcp.tools.scrape.ScrapeTool;
import dev.loopline.mcp.tools.websearch.BackendChain;
import dev.loopline.mcp.tools.websearch.LocalBackend;
import dev.loopline.mcp.tools.websearch.LocalCorpus;
import dev.loopline.mcp.tools.websearch.ResultCache;
import dev.loopline.mcp.tools.websearch.SearchBackend;
import dev.loopline.mcp.tools.websearch.SearxngBackend;
import dev.loopline.mcp.tools.websearch.SerperBackend;
import dev.loopline.mcp.tools.websearch.WebSearchTool;
import dev.loopline.mcp.transport.McpHttpTransport;
import dev.loopline.mcp.transport.McpSessions;
import dev.loopline.mcp.transport.RequestStates;
import dev.loopline.mcp.transport.Subscriptions;
import io.helidon.webserver.http.HttpRouting;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/** mcp-tools: the MCP server ({@code /mcp}, {@code /v1/mcp}) with loopline's built-in tools. */
public final class McpToolsModule implements ServiceModule {
    private final McpHttpTransport transport;
    private final Subscriptions subscriptions = new Subscriptions();
    private final Platform platform;
    private final LocalCorpus corpus;
    private ResultCache cache;

    public McpToolsModule(Platform platform) {
        this.platform = platform;
        Settings s = platform.settings();
        List<Path> corpusFiles = s.optional("LOOPLINE_WEBSEARCH_CORPUS", "loopline.mcp.websearch.corpus")
                .map(v -> Arrays.stream(v.split(",")).map(String::trim).filter(x -> !x.isEmpty()).map(Path::of).toList())
                .orElse(List.of());
        this.corpus = new LocalCorpus(corpusFiles);
        ToolRegistry tools = new ToolRegistry()
                .register(new WebSearchTool(webSearchBackends(platform, corpus), webSearchCache(s)))
                .register(new ScrapeTool(new SafeFetcher(platform.http().client(),
                        new AddressPolicy(list(s.string("LOOPLINE_SCRAPE_ALLOW_ADDRESSES", "loopline.mcp.scrape.allow-addresses", ""))),
                        s.duration("LOOPLINE_SCRAPE_TIMEOUT", "loopline.mcp.scrape.timeout", Duration.ofSeconds(20)),
                        s.longValue("LOOPLINE_SCRAPE_MAX_WIRE_BYTES", "loopline.mcp.scrape.max-wire-bytes", 5L * 1024 * 1024),
                        s.longValue("LOOPLINE_SCRAPE_MAX_BYTES", "loopline.mcp.scrape.max-bytes", 10L * 1024 * 1024)),
                        s.integer("LOOPLINE_SCRAPE_MAX_CHARS", "loopline.mcp.scrape.max-chars", 20_000)))
                .register(new FileSearchTool(platform.http().client(), platform.urls()::vectorStore))
                .register(new PythonExecTool(platform.http().client(), platform.urls()::sandbox,
                        SharedSettings.sandboxMaxTimeout(s).toMillis() / 1000.0));
        String profile = s.string("LOOPLINE_MCP_PROFILE", "loopline.mcp.profile", "default");
        ConformanceFixtures fixtures = switch (profile) {
            case "default" -> null;
            case "conformance" -> {
                ConformanceTools.register(tools, subscriptions::toolsChanged, subscriptions::promptsChanged);
                yield new ConformanceFixtures();
            }
            default -> throw new IllegalStateException("LOOPLINE_MCP_PROFILE must be 'default' or 'conformance', not '" + profile + "'");
        };
        McpHandler handler = new McpHandler(tools, fixtures,
                s.integer("LOOPLINE_MCP_PAGE_SIZE", "loopline.mcp.page-size", 50),
                s.integer("LOOPLINE_MCP_MAX_OUTPUT_CHARS", "loopline.mcp.max-output-chars", 100_000),
                McpToolsModule.class.getPackage().getImplementationVersion() == null ? "dev"
                        : McpToolsModule.class.getPackage().getImplementationVersion());
        // Only the conformance fixtures' lists change; loopline's own never do, so there is nothing else to hear of.
        Set<String> listenable = fixtures == null ? Set.of() : Set.of("toolsListChanged", "promptsListChanged");
        this.transport = new McpHttpTransport(handler,
                new McpSessions(platform.database(), s.duration("LOOPLINE_MCP_SESSION_IDLE", "loopline.mcp.session-idle", Duration.ofMinutes(30)),
                        platform.signals()),
                subscriptions, new RequestStates(platform.delegation().derivedKey("mcp requestState"),
                        s.duration("LOOPLINE_MCP_REQUEST_STATE_TTL", "loopline.mcp.request-state-ttl", Duration.ofMinutes(15)),
                        System::currentTimeMillis), listenable,
                list(s.string("LOOPLINE_MCP_ALLOWED_ORIGINS", "loopline.mcp.allowed-origins", "")),
                list(s.string("LOOPLINE_MCP_ALLOWED_HOSTS", "loopline.mcp.allowed-hosts", "localhost,127.0.0.1,[::1]")),
                platform.maxBodyBytes());
    }

    /** LOOPLINE_WEBSEARCH_BACKENDS, in order; by default every configured remote backend, then the local corpus. */
    private static BackendChain webSearchBackends(Platform platform, LocalCorpus corpus) {
        Settings s = platform.settings();
        Optional<String> searxng = s.optional("LOOPLINE_SEARXNG_URL", "loopline.mcp.websearch.searxng-url");
        Optional<String> serperKey = s.optional("LOOPLINE_SERPER_API_KEY", "loopline.mcp.websearch.serper-api-key");
        String defaults = (searxng.isPresent() ? "searxng," : "") + (serperKey.isPresent() ? "serper," : "") + "local";
        List<SearchBackend> chain = new ArrayList<>();
        for (String name : list(s.string("LOOPLINE_WEBSEARCH_BACKENDS", "loopline.mcp.websearch.backends", defaults))) {
            chain.add(switch (name) {
                case "searxng" -> new SearxngBackend(platform.http().client(), searxng.orElseThrow(() ->
                        new IllegalStateException("web_search backend 'searxng' needs LOOPLINE_SEARXNG_URL")));
                case "serper" -> new SerperBackend(platform.http().client(),
                        s.string("LOOPLINE_SERPER_URL", "loopline.mcp.websearch.serper-url", "https://google.serper.dev"),
                        serperKey.orElseThrow(() -> new IllegalStateException("web_search backend 'serper' needs LOOPLINE_SERPER_API_KEY")));
                case "local" -> new LocalBackend(corpus);
                default -> throw new IllegalStateException("unknown web_search backend '" + name + "' (searxng, serper, local)");
            });
        }
        return new BackendChain(chain, s.integer("LOOPLINE_WEBSEARCH_FAILURE_THRESHOLD", "loopline.mcp.websearch.failure-threshold", 3),
                s.duration("LOOPLINE_WEBSEARCH_CIRCUIT_COOLDOWN", "loopline.mcp.websearch.circuit-cooldown", Duration.ofSeconds(30)),
                System::currentTimeMillis);
    }

    private ResultCache webSearchCache(Settings s) {
        Duration ttl = s.duration("LOOPLINE_WEBSEARCH_CACHE_TTL", "loopline.mcp.websearch.cache-ttl", Duration.ofMinutes(10));
        this.cache = SharedSettings.redis(s).map(redis -> ResultCache.redis(redis.url(), redis.prefix(), ttl))
                .orElseGet(() -> ResultCache.inProcess(ttl, 10_000));
        return cache;
    }

    private static List<String> list(String csv) {
        return Arrays.stream(csv.split(",")).map(String::trim).filter(x -> !x.isEmpty()).map(String::toLowerCase).toList();
    }

    @Override
    public String name() {
        return "mcp-tools";
    }

    /** The services behind file_search and python_exec: shown, not required (the other tools work without them). */
    @Override
    public void readiness(Health health) {
        for (var peer : List.<Map.Entry<String, Supplier<String>>>of(Map.entry("vector-store", platform.urls()::vectorStore),
                Map.entry("sandbox", platform.urls()::sandbox))) {
            PeerCheck check = new PeerCheck(platform.http().client(), peer.getValue(), platform.urls());
            health.addInformationalCheck("peer:" + peer.getKey(), check, () -> Json.object().put("url", peer.getValue().get()));
        }
    }

    @Override
    public void routing(HttpRouting.Builder routing) {
        transport.routing(routing);
    }

    @Override
    public void close() {
        subscriptions.close();
        corpus.close();
        if (cache != null) {
            cache.close();
        }
    }
}
