package dev.loopline.common.projects;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.db.Database;
import dev.loopline.common.json.Json;

import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What model calls cost, and what a project has spent this calendar month (UTC). Prices are USD
 * per million tokens (input, cached input, output) per model: {@code LOOPLINE_MODEL_PRICES}
 * (JSON: {@code {"model": {"input": 0.5, "cached_input": 0.05, "output": 1.5}}}), overridden by
 * what the Administration API sets ({@code model_prices}). A model without a price costs nothing.
 * A project's spend comes from the usage table (llm-proxy's rows of every model call) and is
 * cached per replica for {@link #CACHE_MILLIS}, so a hard limit stops calls within that of being
 * reached.
 */
public final class Spend {
    static final long CACHE_MILLIS = 5_000;
    private final Database db;
    private final Map<String, Price> configured;
    private volatile Cached<Map<String, Price>> prices;
    private final Map<String, Cached<Double>> monthCents = new ConcurrentHashMap<>();

    /** USD per million tokens. */
    public record Price(double input, double cachedInput, double output) {
        /** Cents for one call's tokens ({@code cached} are part of {@code prompt}). */
        public double cents(long prompt, long cached, long completion) {
            return ((prompt - cached) * input + cached * cachedInput + completion * output) / 1_000_000.0 * 100.0;
        }
    }

    private record Cached<T>(T value, long until) {
    }

    public Spend(Database db, String configuredJson) {
        this.db = db;
        this.configured = parse(configuredJson);
    }

    /** {@code LOOPLINE_MODEL_PRICES}; a clear error naming the setting when it is not that shape. */
    static Map<String, Price> parse(String json) {
        Map<String, Price> out = new HashMap<>();
        if (json == null || json.isBlank()) {
            return out;
        }
        JsonNode root;
        try {
            root = Json.parse(json);
        } catch (RuntimeException e) {
            throw new IllegalStateException("LOOPLINE_MODEL_PRICES must be JSON: {\"model\": {\"input\": 0.5, \"cached_input\": 0.05, \"output\": 1.5}}");
        }
        if (!root.isObject()) {
            throw new IllegalStateException("LOOPLINE_MODEL_PRICES must be a JSON object of models");
        }
        root.fields().forEachRemaining(e -> {
            JsonNode p = e.getValue();
            if (!p.path("input").isNumber() || !p.path("output").isNumber() || p.path("input").asDouble() < 0 || p.path("output").asDouble() < 0) {
                throw new IllegalStateException("LOOPLINE_MODEL_PRICES: '" + e.getKey() + "' needs non-negative numbers 'input' and 'output' "
                        + "(USD per million tokens; 'cached_input' optional)");
            }
            out.put(e.getKey(), new Price(p.get("input").asDouble(), p.path("cached_input").asDouble(p.get("input").asDouble()),
                    p.get("output").asDouble()));
        });
        return Map.copyOf(out);
    }

    /** Every price: the configured ones, overridden by those set through the API. */
    public Map<String, Price> prices() {
        long now = System.currentTimeMillis();
        Cached<Map<String, Price>> c = prices;
        if (c != null && c.until() > now) {
            return c.value();
        }
        Map<String, Price> all = new HashMap<>(configured);
        db.list("SELECT model, input_per_million, cached_per_million, output_per_million FROM model_prices", r -> Map.entry(
                r.column("model").getString(), new Price(r.column("input_per_million").getDouble(), r.column("cached_per_million").getDouble(),
                        r.column("output_per_million").getDouble()))).forEach(e -> all.put(e.getKey(), e.getValue()));
        Map<String, Price> frozen = Map.copyOf(all);
        prices = new Cached<>(frozen, now + CACHE_MILLIS);
        return frozen;
    }

    /** The configured price of a model (what the API's change falls back to when deleted). */
    public Optional<Price> configured(String model) {
        return Optional.ofNullable(configured.get(model));
    }

    /** Forgets this replica's cached prices and spend (after a change through the API). */
    public void changed() {
        prices = null;
        monthCents.clear();
    }

    public double cents(String model, long prompt, long cached, long completion) {
        Price p = prices().get(model);
        return p == null ? 0 : p.cents(prompt, cached, completion);
    }

    /** The first second of this calendar month (UTC). */
    public static long monthStart(long epochSeconds) {
        return YearMonth.from(Instant.ofEpochSecond(epochSeconds).atZone(ZoneOffset.UTC)).atDay(1).atStartOfDay(ZoneOffset.UTC).toEpochSecond();
    }

    /** "2026-12": the month a spend alert fired in. */
    public static String month(long epochSeconds) {
        return YearMonth.from(Instant.ofEpochSecond(epochSeconds).atZone(ZoneOffset.UTC)).toString();
    }

    /** What the project's model calls cost this calendar month, in cents. */
    public double monthCents(String project) {
        long now = System.currentTimeMillis();
        Cached<Double> c = monthCents.get(project);
        if (c != null && c.until() > now) {
            return c.value();
        }
        double total = 0;
        for (var row : db.list("SELECT model, SUM(prompt_tokens) AS p, SUM(cached_tokens) AS c, SUM(completion_tokens) AS o FROM usage "
                + "WHERE tenant_id = ? AND created_at >= ? GROUP BY model", r -> new Object[] {r.column("model").getString(),
                r.column("p").get(Number.class).longValue(), r.column("c").get(Number.class).longValue(),
                r.column("o").get(Number.class).longValue()}, project, monthStart(now / 1000))) {
            total += cents((String) row[0], (Long) row[1], (Long) row[2], (Long) row[3]);
        }
        monthCents.put(project, new Cached<>(total, now + CACHE_MILLIS));
        return total;
    }
}
