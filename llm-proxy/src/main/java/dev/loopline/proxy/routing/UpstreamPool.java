package dev.loopline.proxy.routing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.json.Json;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The upstreams and what each serves, learned from their {@code /v1/models}, kept fresh with
 * their {@code /health} and {@code /metrics}. Choosing a replica: requests with an affinity key
 * (a conversation, or a long shared prompt prefix) go to the replica that rendezvous hashing
 * gives for that key, so vLLM's prefix cache is hit, unless that replica is busier than the least
 * busy one by more than {@code affinitySlack}; everything else goes to the least loaded replica
 * per unit of weight.
 */
public final class UpstreamPool {
    private static final System.Logger LOG = System.getLogger(UpstreamPool.class.getName());
    private final List<Upstream> upstreams;
    private final Map<String, String> aliases;
    private final OkHttpClient http;
    private final String apiKey;
    private volatile long lastDiscovery;
    private volatile double affinitySlack = 4;

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

    public void affinitySlack(double slack) {
        this.affinitySlack = slack;
    }

    /** Least loaded among the available replicas serving the model; see the class comment for affinity. */
    public Optional<Upstream> choose(String model, Set<Upstream> exclude, String affinityKey) {
        Upstream least = null;
        Upstream preferred = null;
        long bestHash = Long.MIN_VALUE;
        for (Upstream u : upstreams) {
            if (!u.available() || !u.models().contains(model) || exclude.contains(u)) {
                continue;
            }
            if (least == null || u.load() < least.load()) {
                least = u;
            }
            if (affinityKey != null) {
                long h = rendezvous(affinityKey, u.baseUrl());
                if (preferred == null || h > bestHash) {
                    preferred = u;
                    bestHash = h;
                }
            }
        }
        if (preferred != null && preferred.load() <= least.load() + affinitySlack) {
            return Optional.of(preferred);
        }
        return Optional.ofNullable(least);
    }

    public Optional<Upstream> choose(String model, Set<Upstream> exclude) {
        return choose(model, exclude, null);
    }

    /** Highest-random-weight hashing: stable per key, and only keys of a removed replica move. */
    static long rendezvous(String key, String node) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < key.length(); i++) {
            h = (h ^ key.charAt(i)) * 0x100000001b3L;
        }
        for (int i = 0; i < node.length(); i++) {
            h = (h ^ node.charAt(i)) * 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        return h;
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

    /** Asks every upstream for its health, its models and (vLLM) its load. */
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
                get(u.baseUrl() + "/metrics").ifPresent(text -> u.remoteLoad(runningPlusWaiting(text)));
            }
        }
    }

    /** {@code vllm:num_requests_running + vllm:num_requests_waiting} from vLLM's Prometheus text; -1 when absent. */
    static int runningPlusWaiting(String metrics) {
        double sum = 0;
        boolean found = false;
        for (String line : metrics.split("\n")) {
            if (line.startsWith("vllm:num_requests_running{") || line.startsWith("vllm:num_requests_waiting{")) {
                int sp = line.lastIndexOf(' ');
                try {
                    sum += Double.parseDouble(line.substring(sp + 1));
                    found = true;
                } catch (NumberFormatException ignored) {
                    // not a sample line
                }
            }
        }
        return found ? (int) sum : -1;
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
