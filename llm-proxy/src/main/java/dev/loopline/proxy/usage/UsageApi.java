package dev.loopline.proxy.usage;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.auth.AuthenticatedUser;
import dev.loopline.common.auth.Principal;
import dev.loopline.common.db.Database;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.http.JsonBodies;
import dev.loopline.common.json.Json;
import dev.loopline.proxy.limits.Limits;
import dev.loopline.proxy.limits.UserLimits;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/** {@code GET /v1/usage[?since=unix_seconds]}: the caller's own usage, by model, with their limits. */
public final class UsageApi {
    private final Database db;
    private final Limits limits;

    public UsageApi(Database db, Limits limits) {
        this.db = db;
        this.limits = limits;
    }

    public void handle(ServerRequest req, ServerResponse res) {
        Principal who = AuthenticatedUser.require();
        long since = req.query().first("since").map(v -> {
            try {
                return Long.parseLong(v);
            } catch (NumberFormatException e) {
                throw ApiException.badRequest("since", "Invalid 'since': expected unix seconds.");
            }
        }).orElse(0L);
        ObjectNode body = Json.object().put("object", "usage").put("user", who.userId()).put("since", since);
        ObjectNode totals = body.putObject("totals");
        long[] sum = new long[5];
        ArrayNode byModel = body.putArray("by_model");
        db.list("SELECT model, COUNT(*) AS requests, SUM(prompt_tokens) AS prompt, SUM(completion_tokens) AS completion, "
                        + "SUM(cached_tokens) AS cached, SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END) AS failed "
                        + "FROM usage WHERE tenant_id = ? AND user_id = ? AND created_at >= ? GROUP BY model ORDER BY model",
                r -> {
                    long requests = r.column("requests").get(Number.class).longValue();
                    long prompt = r.column("prompt").get(Number.class).longValue();
                    long completion = r.column("completion").get(Number.class).longValue();
                    long cached = r.column("cached").get(Number.class).longValue();
                    long failed = r.column("failed").get(Number.class).longValue();
                    byModel.addObject().put("model", r.column("model").getString()).put("requests", requests)
                            .put("failed_requests", failed).put("prompt_tokens", prompt).put("completion_tokens", completion)
                            .put("cached_tokens", cached).put("total_tokens", prompt + completion);
                    sum[0] += requests;
                    sum[1] += prompt;
                    sum[2] += completion;
                    sum[3] += cached;
                    sum[4] += failed;
                    return null;
                }, who.tenantId(), who.userId(), since);
        totals.put("requests", sum[0]).put("failed_requests", sum[4]).put("prompt_tokens", sum[1]).put("completion_tokens", sum[2])
                .put("cached_tokens", sum[3]).put("total_tokens", sum[1] + sum[2]);
        UserLimits l = limits.limitsFor(who);
        ObjectNode lim = body.putObject("limits");
        lim.put("requests_per_hour", l.requestsPerHour()).put("tokens_per_minute", l.tokensPerMinute()).put("token_budget", l.tokenBudget());
        JsonBodies.send(res, body);
    }
}
