package dev.loopline.proxy.limits;

import dev.loopline.common.db.Database;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.projects.Spend;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A project's own limits, set through the Administration API and checked after the per-user ones,
 * before any upstream call: requests and tokens per minute and requests per day for one model
 * ({@code project_rate_limits}; 429 with Retry-After), and its hard spend limit for the calendar
 * month ({@code project_spend_limits} against {@link Spend}; 429 {@code insufficient_quota}, as
 * OpenAI answers). Counters live in the {@link LimitStore} (Redis across replicas); the rows are
 * cached per replica for {@link #CACHE_MILLIS}.
 */
public final class ProjectLimits {
    static final long CACHE_MILLIS = 5_000;
    private final LimitStore store;
    private final Database db;
    private final Spend spend;
    private final Map<String, Cached<Optional<RateLimit>>> rates = new ConcurrentHashMap<>();
    private final Map<String, Cached<Optional<Long>>> spendLimits = new ConcurrentHashMap<>();

    /** 0: no limit of that kind. */
    record RateLimit(long requestsPerMinute, long tokensPerMinute, long requestsPerDay) {
    }

    private record Cached<T>(T value, long until) {
    }

    public ProjectLimits(LimitStore store, Database db, Spend spend) {
        this.store = store;
        this.db = db;
        this.spend = spend;
    }

    private Optional<RateLimit> rateLimit(String project, String model) {
        String key = project + "\u0000" + model;
        long now = System.currentTimeMillis();
        Cached<Optional<RateLimit>> c = rates.get(key);
        if (c != null && c.until() > now) {
            return c.value();
        }
        Optional<RateLimit> l = db.client().execute().get("SELECT max_requests_per_1_minute AS rpm, max_tokens_per_1_minute AS tpm, "
                + "max_requests_per_1_day AS rpd FROM project_rate_limits WHERE project_id = ? AND model = ?", project, model)
                .map(r -> new RateLimit(value(r.column("rpm").get(Long.class)), value(r.column("tpm").get(Long.class)),
                        value(r.column("rpd").get(Long.class))));
        rates.put(key, new Cached<>(l, now + CACHE_MILLIS));
        return l;
    }

    private Optional<Long> spendLimitCents(String project) {
        long now = System.currentTimeMillis();
        Cached<Optional<Long>> c = spendLimits.get(project);
        if (c != null && c.until() > now) {
            return c.value();
        }
        Optional<Long> l = db.client().execute().get("SELECT threshold_cents FROM project_spend_limits WHERE project_id = ?", project)
                .map(r -> r.column("threshold_cents").getLong());
        spendLimits.put(project, new Cached<>(l, now + CACHE_MILLIS));
        return l;
    }

    private static long value(Long v) {
        return v == null ? 0 : v;
    }

    /** Refuses (429) before anything is sent upstream; counts the request against the project's model limits. */
    public void admit(String project, String model) {
        Optional<Long> cap = spendLimitCents(project);
        if (cap.isPresent()) {
            double spent = spend.monthCents(project);
            if (spent >= cap.get()) {
                throw new Limits.LimitExceeded(new ApiException(429, "insufficient_quota", String.format(
                        "This project has reached its spend limit for the month ($%.2f of $%.2f). Ask an admin of your loopline to raise it.",
                        spent / 100, cap.get() / 100.0), null, "insufficient_quota"), Limits.Refusal.BUDGET);
            }
        }
        Optional<RateLimit> limit = rateLimit(project, model);
        if (limit.isEmpty()) {
            return;
        }
        RateLimit l = limit.get();
        long now = System.currentTimeMillis();
        String who = project + ":" + model;
        if (l.tokensPerMinute() > 0) {
            long minute = now / 60_000;
            if (store.get("ptpm:" + who + ":" + minute) >= l.tokensPerMinute()) {
                throw refused("Rate limit reached for " + model + " in this project: " + l.tokensPerMinute() + " tokens per minute.",
                        (minute + 1) * 60_000, now, Limits.Refusal.TOKENS);
            }
        }
        if (l.requestsPerDay() > 0) {
            long day = now / 86_400_000;
            if (store.add("prpd:" + who + ":" + day, 1, Duration.ofDays(1).plusMinutes(1)) > l.requestsPerDay()) {
                throw refused("Rate limit reached for " + model + " in this project: " + l.requestsPerDay() + " requests per day.",
                        (day + 1) * 86_400_000, now, Limits.Refusal.REQUESTS);
            }
        }
        if (l.requestsPerMinute() > 0) {
            long minute = now / 60_000;
            if (store.add("prpm:" + who + ":" + minute, 1, Duration.ofMinutes(2)) > l.requestsPerMinute()) {
                throw refused("Rate limit reached for " + model + " in this project: " + l.requestsPerMinute() + " requests per minute.",
                        (minute + 1) * 60_000, now, Limits.Refusal.REQUESTS);
            }
        }
    }

    private static Limits.LimitExceeded refused(String message, long until, long now, Limits.Refusal refusal) {
        return new Limits.LimitExceeded(ApiException.rateLimited(message, Math.max(1, (until - now + 999) / 1000)), refusal);
    }

    /** Charges a served request's tokens to the project's minute window for the model. */
    public void charge(String project, String model, long tokens) {
        if (tokens > 0 && rateLimit(project, model).map(l -> l.tokensPerMinute() > 0).orElse(false)) {
            store.add("ptpm:" + project + ":" + model + ":" + (System.currentTimeMillis() / 60_000), tokens, Duration.ofMinutes(2));
        }
    }

    /** Forgets the cached rows (the admin API, in this process, after a change). */
    public void changed() {
        rates.clear();
        spendLimits.clear();
    }
}
