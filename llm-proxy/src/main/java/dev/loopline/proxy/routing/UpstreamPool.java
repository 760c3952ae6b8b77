package dev.loopline.proxy.routing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.json.Json;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The upstreams and what each serves, learned from their {@code /v1/models} and kept fresh with
 * their {@code /health}. Choosing a replica: the healthy one with the fewest outstanding requests
 * per unit of weight.
 */
public final class UpstreamPool {
    private static final System.Logger LOG = System.getLogger(UpstreamPool.class.getName());
    private final List<Upstream> upstreams;
    private final Map<String, String> aliases;
    private final OkHttpClient http;
    private final String apiKey;
    private volatile long lastDiscovery;

    public UpstreamPool(List<Upstream> upstreams, Map<String, String> aliases, OkHttpClient http, String apiKey) {
        if (upstreams.isEmpty()) {
            throw new IllegalArgumentException("at least one upstream is needed");
        }
        this.upstreams = List.copyOf(upstreams);
        this.aliases = Map.copyOf(aliases);
        this.http = http.newBuilder().callTimeout(Duration.ofSeconds(5)).build();
        this.apiKey = apiKey;
    }

    /**
     * Parses {@code LOOPLINE_LLM_UPSTREAMS}: comma-separated base URLs, each optionally with a
     * weight, e.g. {@code http://gpu1:8000*2,http://gpu2:8000}.
     */
    public static List<Upstream> parse(String spec) {
        List<Upstream> out = new ArrayList<>();
        for (String part : spec.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            int weight = 1;
            int star = p.lastIndexOf('*');
            if (star > 0) {
                weight = Integer.parseInt(p.substring(star + 1).trim());
                p = p.substring(0, star).trim();
            }
            if (!p.startsWith("http://") && !p.startsWith("https://")) {
                throw new IllegalStateException("LOOPLINE_LLM_UPSTREAMS: '" + p + "' is not an http(s) URL");
            }
            if (weight < 1) {
                throw new IllegalStateException("LOOPLINE_LLM_UPSTREAMS: weight of " + p + " must be at least 1");
            }
            out.add(new Upstream(p, weight));
        }
        return out;
    }

    /** {@code alias=model,alias2=model2} */
    public static Map<String, String> parseAliases(String spec) {
        Map<String, String> out = new LinkedHashMap<>();
        if (spec == null) {
            return out;
        }
        for (String part : spec.split(",")) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                out.put(part.substring(0, eq).trim(), part.substring(eq + 1).trim());
            }
        }
        return out;
    }

    public List<Upstream> upstreams() {
        return upstreams;
    }

    public Map<String, String> aliases() {
        return aliases;
    }

    public String apiKey() {
        return apiKey;
    }

    /** The upstream model name for a requested name (aliases resolved), if any upstream serves it. */
    public Optional<String> resolve(String requested) {
        String model = aliases.getOrDefault(requested, requested);
        if (servedBySome(model)) {
            return Optional.of(model);
        }
        if (System.currentTimeMillis() - lastDiscovery > 2000) {
            refresh();
            if (servedBySome(model)) {
                return Optional.of(model);
            }
        }
        return Optional.empty();
    }

    private boolean servedBySome(String model) {
        for (Upstream u : upstreams) {
            if (u.models().contains(model)) {
                return true;
            }
        }
        return false;
    }

    /** Least outstanding requests per weight among the healthy replicas serving the model. */
    public Optional<Upstream> choose(String model, Set<Upstream> exclude) {
        return upstreams.stream()
                .filter(u -> u.healthy() && u.models().contains(model) && !exclude.contains(u))
                .min(Comparator.comparingDouble(u -> (u.outstanding() + 1.0) / u.weight()));
    }

    public Set<String> allModels() {
        Set<String> all = new HashSet<>();
        upstreams.forEach(u -> all.addAll(u.models()));
        all.addAll(aliases.keySet().stream().filter(a -> servedBySome(aliases.get(a))).toList());
        return all;
    }

    public boolean anyHealthy() {
        return upstreams.stream().anyMatch(u -> u.healthy() && !u.models().isEmpty());
    }

    /** Asks every upstream for its health and its models. */
    public synchronized void refresh() {
        lastDiscovery = System.currentTimeMillis();
        for (Upstream u : upstreams) {
            boolean healthy = get(u.baseUrl() + "/health").isPresent();
            u.healthy(healthy);
            if (healthy) {
                get(u.baseUrl() + "/v1/models").ifPresent(body -> {
                    Set<String> names = new HashSet<>();
                    for (JsonNode m : Json.parse(body).path("data")) {
                        names.add(m.path("id").asText());
                    }
                    u.models(names);
                });
            }
        }
    }

    private Optional<String> get(String url) {
        Request.Builder b = new Request.Builder().url(url).get();
        if (apiKey != null) {
            b.header("Authorization", "Bearer " + apiKey);
        }
        try (Response r = http.newCall(b.build()).execute()) {
            return r.isSuccessful() ? Optional.of(r.body().string()) : Optional.empty();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.DEBUG, "upstream " + url + " did not answer: " + e.getMessage());
            return Optional.empty();
        }
    }
}
