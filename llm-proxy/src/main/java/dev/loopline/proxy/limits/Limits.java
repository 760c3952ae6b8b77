package dev.loopline.proxy.limits;

import dev.loopline.common.auth.Principal;
import dev.loopline.common.db.Database;
import dev.loopline.common.errors.ApiException;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-user request rate, tokens per minute and token budget, checked before any upstream call
 * and charged after it. Defaults come from settings; a {@code user_limits} row overrides them per
 * user. Counters live in a {@link LimitStore}: this process, or Redis for several replicas.
 */
public final class Limits {
    private static final long USER_LIMITS_CACHE_MILLIS = 10_000;
    private final LimitStore store;
    private final Database db;
    private final UserLimits defaults;
    private final ConcurrentHashMap<String, CachedLimits> perUser = new ConcurrentHashMap<>();

    private record CachedLimits(UserLimits limits, long until) {
    }

    /** Which limit refused a request (for metrics). */
    public enum Refusal { REQUESTS, TOKENS, BUDGET }

    public static final class LimitExceeded extends ApiException {
        private final Refusal refusal;

        LimitExceeded(ApiException shape, Refusal refusal) {
            super(shape.status(), shape.type(), shape.getMessage(), shape.param(), shape.code(), shape.retryAfterSeconds());
            this.refusal = refusal;
        }

        public Refusal refusal() {
            return refusal;
        }
    }

    public Limits(LimitStore store, Database db, UserLimits defaults) {
        this.store = store;
        this.db = db;
        this.defaults = defaults;
    }

    public LimitStore store() {
        return store;
    }

    public UserLimits limitsFor(Principal p) {
        String key = p.tenantId() + "\u0000" + p.userId();
        long now = System.currentTimeMillis();
        CachedLimits c = perUser.get(key);
        if (c != null && c.until > now) {
            return c.limits;
        }
        UserLimits l = db.client().execute()
                .get("SELECT requests_per_hour, tokens_per_minute, token_budget FROM user_limits WHERE tenant_id = ? AND user_id = ?",
                        p.tenantId(), p.userId())
                .map(r -> new UserLimits(
                        orDefault(r.column("requests_per_hour").get(Long.class), defaults.requestsPerHour()),
                        orDefault(r.column("tokens_per_minute").get(Long.class), defaults.tokensPerMinute()),
                        orDefault(r.column("token_budget").get(Long.class), defaults.tokenBudget())))
                .orElse(defaults);
        perUser.put(key, new CachedLimits(l, now + USER_LIMITS_CACHE_MILLIS));
        return l;
    }

    private static long orDefault(Long v, long d) {
        return v == null ? d : v;
    }

    /** Refuses (403 budget, 429 rate) before anything is sent upstream; counts the request. */
    public void admit(Principal p) {
        UserLimits l = limitsFor(p);
        String who = p.tenantId() + ":" + p.userId();
        long now = System.currentTimeMillis();
        if (l.tokenBudget() > 0) {
            long used = budgetUsed(p);
            if (used >= l.tokenBudget()) {
                throw new LimitExceeded(ApiException.forbidden("Your token budget of " + l.tokenBudget() + " tokens is used up ("
                        + used + " used). Ask your administrator to raise it.", "token_budget_exceeded"), Refusal.BUDGET);
            }
        }
        if (l.tokensPerMinute() > 0) {
            long minute = now / 60_000;
            long used = store.get("tpm:" + who + ":" + minute);
            if (used >= l.tokensPerMinute()) {
                throw new LimitExceeded(ApiException.rateLimited("Rate limit reached: " + l.tokensPerMinute()
                        + " tokens per minute.", secondsUntil((minute + 1) * 60_000, now)), Refusal.TOKENS);
            }
        }
        if (l.requestsPerHour() > 0) {
            long hour = now / 3_600_000;
            long n = store.add("rph:" + who + ":" + hour, 1, Duration.ofHours(1).plusMinutes(1));
            if (n > l.requestsPerHour()) {
                throw new LimitExceeded(ApiException.rateLimited("Rate limit reached: " + l.requestsPerHour()
                        + " requests per hour.", secondsUntil((hour + 1) * 3_600_000, now)), Refusal.REQUESTS);
            }
        }
    }

    /** Charges what a served request used to the minute window and the budget. */
    public void charge(Principal p, long tokens) {
        if (tokens <= 0) {
            return;
        }
        String who = p.tenantId() + ":" + p.userId();
        store.add("tpm:" + who + ":" + (System.currentTimeMillis() / 60_000), tokens, Duration.ofMinutes(2));
        UserLimits l = limitsFor(p);
        if (l.tokenBudget() > 0) {
            store.addSeeded("budget:" + who, tokens, () -> usedFromDatabase(p));
        }
    }

    private long budgetUsed(Principal p) {
        String key = "budget:" + p.tenantId() + ":" + p.userId();
        return store.addSeeded(key, 0, () -> usedFromDatabase(p));
    }

    /** Lifetime tokens from the usage table: seeds the budget counter after a restart. */
    private long usedFromDatabase(Principal p) {
        Optional<Long> v = db.client().execute()
                .get("SELECT COALESCE(SUM(prompt_tokens + completion_tokens), 0) AS used FROM usage WHERE tenant_id = ? AND user_id = ?",
                        p.tenantId(), p.userId())
                .map(r -> r.column("used").get(Number.class).longValue());
        return v.orElse(0L);
    }

    private static long secondsUntil(long epochMillis, long now) {
        return Math.max(1, (epochMillis - now + 999) / 1000);
    }
}
