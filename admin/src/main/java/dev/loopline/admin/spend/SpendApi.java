package dev.loopline.admin.spend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.admin.Page;
import dev.loopline.admin.projects.ProjectsApi;
import dev.loopline.common.audit.AuditLog;
import dev.loopline.common.auth.AuthenticatedUser;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.http.JsonBodies;
import dev.loopline.common.json.Json;
import dev.loopline.common.projects.Spend;
import dev.loopline.common.server.Platform;
import io.helidon.dbclient.DbExecute;
import io.helidon.dbclient.DbRow;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Money: the per-model price table ({@code /v1/organization/model_prices}, a loopline extension:
 * OpenAI sets its own prices), a project's hard monthly spend limit ({@code spend_limit}: llm-proxy
 * refuses calls with 429 {@code insufficient_quota} once it is reached) and its spend alerts
 * ({@code spend_alerts}: soft, fired once a month by {@link SpendAlerts}). Amounts are in US cents,
 * as in OpenAI's shape; prices in USD per million tokens.
 */
public final class SpendApi {
    private final Platform platform;

    public SpendApi(Platform platform) {
        this.platform = platform;
    }

    public void routing(HttpRouting.Builder r) {
        r.get("/v1/organization/model_prices", this::listPrices)
                .post("/v1/organization/model_prices", this::setPrice)
                .delete("/v1/organization/model_prices/{model}", this::deletePrice)
                .get("/v1/organization/projects/{project_id}/spend_limit", this::getLimit)
                .post("/v1/organization/projects/{project_id}/spend_limit", this::setLimit)
                .delete("/v1/organization/projects/{project_id}/spend_limit", this::deleteLimit)
                .get("/v1/organization/projects/{project_id}/spend_alerts", this::listAlerts)
                .post("/v1/organization/projects/{project_id}/spend_alerts", this::createAlert)
                .get("/v1/organization/projects/{project_id}/spend_alerts/{alert_id}", this::getAlert)
                .post("/v1/organization/projects/{project_id}/spend_alerts/{alert_id}", this::updateAlert)
                .delete("/v1/organization/projects/{project_id}/spend_alerts/{alert_id}", this::deleteAlert);
    }

    private static AuditLog.Actor actor(ServerRequest req) {
        return AuditLog.Actor.of(AuthenticatedUser.require(), req);
    }

    // --- prices

    private static ObjectNode renderPrice(String model, Spend.Price p, String source) {
        return Json.object().put("object", "organization.model_price").put("model", model).put("input", p.input())
                .put("cached_input", p.cachedInput()).put("output", p.output()).put("currency", "USD").put("unit", "1M_tokens")
                .put("source", source);
    }

    private void listPrices(ServerRequest req, ServerResponse res) {
        Map<String, ObjectNode> all = new TreeMap<>();
        Spend spend = platform.spend();
        Map<String, Spend.Price> set = new TreeMap<>();
        platform.database().list("SELECT model FROM model_prices", r -> r.column("model").getString()).forEach(m -> set.put(m, null));
        spend.prices().forEach((m, p) -> all.put(m, renderPrice(m, p, set.containsKey(m) ? "api" : "config")));
        JsonBodies.send(res, Page.of(req, List.copyOf(all.values()), o -> o.get("model").asText(), o -> o));
    }

    private static double price(ObjectNode body, String field, Double fallback) {
        JsonNode v = body.get(field);
        if (v == null && fallback != null) {
            return fallback;
        }
        if (v == null || !v.isNumber() || v.asDouble() < 0) {
            throw ApiException.badRequest(field, "'" + field + "' must be a non-negative number (USD per million tokens).");
        }
        return v.asDouble();
    }

    private void setPrice(ServerRequest req, ServerResponse res) {
        var actor = actor(req);
        ObjectNode body = JsonBodies.readObject(req, platform.maxBodyBytes());
        JsonNode m = body.get("model");
        if (m == null || !m.isTextual() || m.asText().isBlank() || m.asText().length() > 256) {
            throw ApiException.badRequest("model", "'model' must be a non-empty string of at most 256 characters.");
        }
        double input = price(body, "input", null);
        Spend.Price p = new Spend.Price(input, price(body, "cached_input", input), price(body, "output", null));
        String model = m.asText();
        platform.database().transaction(tx -> {
            tx.delete("DELETE FROM model_prices WHERE model = ?", model);
            tx.insert("INSERT INTO model_prices (model, input_per_million, cached_per_million, output_per_million, updated_at) VALUES (?, ?, ?, ?, ?)",
                    model, p.input(), p.cachedInput(), p.output(), System.currentTimeMillis() / 1000);
            platform.audit().record(tx, "model_price.updated", null, actor, renderPrice(model, p, "api"));
        });
        platform.spend().changed();
        JsonBodies.send(res, renderPrice(model, p, "api"));
    }

    private void deletePrice(ServerRequest req, ServerResponse res) {
        var actor = actor(req);
        String model = req.path().pathParameters().get("model");
        platform.database().transaction(tx -> {
            if (tx.delete("DELETE FROM model_prices WHERE model = ?", model) == 0) {
                throw ApiException.notFound("No price set through the API for model '" + model + "'.", "model");
            }
            platform.audit().record(tx, "model_price.deleted", null, actor, Json.object().put("model", model));
        });
        platform.spend().changed();
        JsonBodies.send(res, Json.object().put("object", "organization.model_price.deleted").put("model", model).put("deleted", true));
    }

    // --- the hard limit

    private ObjectNode renderLimit(String project, long cents) {
        boolean reached = platform.spend().monthCents(project) >= cents;
        ObjectNode o = Json.object().put("object", "project.spend_limit").put("threshold_amount", cents).put("currency", "USD")
                .put("interval", "month");
        o.putObject("enforcement").put("status", reached ? "enforcing" : "inactive");
        return o;
    }

    private static long cents(ObjectNode body) {
        JsonNode t = body.get("threshold_amount");
        if (t == null || !t.isIntegralNumber() || t.asLong() < 1) {
            throw ApiException.badRequest("threshold_amount", "'threshold_amount' must be a positive integer (US cents).");
        }
        if (!"USD".equals(body.path("currency").asText("USD"))) {
            throw ApiException.badRequest("currency", "'currency' must be 'USD'.");
        }
        if (!"month".equals(body.path("interval").asText("month"))) {
            throw ApiException.badRequest("interval", "'interval' must be 'month'.");
        }
        return t.asLong();
    }

    private void getLimit(ServerRequest req, ServerResponse res) {
        String project = req.path().pathParameters().get("project_id");
        DbExecute db = platform.database().client().execute();
        ProjectsApi.require(db, project);
        long cents = db.get("SELECT threshold_cents FROM project_spend_limits WHERE project_id = ?", project)
                .map(r -> r.column("threshold_cents").getLong())
                .orElseThrow(() -> ApiException.notFound("Project '" + project + "' has no spend limit.", "project_id"));
        JsonBodies.send(res, renderLimit(project, cents));
    }

    private void setLimit(ServerRequest req, ServerResponse res) {
        var actor = actor(req);
        String project = req.path().pathParameters().get("project_id");
        long cents = cents(JsonBodies.readObject(req, platform.maxBodyBytes()));
        platform.database().transaction(tx -> {
            ProjectsApi.require(tx, project);
            tx.delete("DELETE FROM project_spend_limits WHERE project_id = ?", project);
            tx.insert("INSERT INTO project_spend_limits (project_id, threshold_cents, updated_at) VALUES (?, ?, ?)", project, cents,
                    System.currentTimeMillis() / 1000);
            platform.audit().record(tx, "spend_limit.updated", project, actor, Json.object().put("threshold_amount", cents));
        });
        platform.projectPolicies().changed(project);
        JsonBodies.send(res, renderLimit(project, cents));
    }

    private void deleteLimit(ServerRequest req, ServerResponse res) {
        var actor = actor(req);
        String project = req.path().pathParameters().get("project_id");
        platform.database().transaction(tx -> {
            ProjectsApi.require(tx, project);
            if (tx.delete("DELETE FROM project_spend_limits WHERE project_id = ?", project) == 0) {
                throw ApiException.notFound("Project '" + project + "' has no spend limit.", "project_id");
            }
            platform.audit().record(tx, "spend_limit.deleted", project, actor, Json.object());
        });
        platform.projectPolicies().changed(project);
        JsonBodies.send(res, Json.object().put("object", "project.spend_limit.deleted").put("deleted", true));
    }

    // --- alerts

    static ObjectNode renderAlert(DbRow r) {
        ObjectNode o = Json.object().put("id", r.column("id").getString()).put("object", "project.spend_alert")
                .put("threshold_amount", r.column("threshold_cents").getLong()).put("currency", "USD").put("interval", "month");
        ObjectNode channel = o.putObject("notification_channel").put("type", "email");
        channel.set("recipients", Json.parse(r.column("recipients").getString()));
        channel.put("subject_prefix", r.column("subject_prefix").getString());
        return o;
    }

    private static DbRow requireAlert(DbExecute db, String project, String id) {
        return db.get("SELECT * FROM spend_alerts WHERE id = ? AND project_id = ?", id, project)
                .orElseThrow(() -> ApiException.notFound("No spend alert with id '" + id + "' in project '" + project + "'.", "alert_id"));
    }

    private static ArrayNode recipients(ObjectNode body, boolean required) {
        JsonNode ch = body.get("notification_channel");
        if (ch == null && !required) {
            return null;
        }
        if (ch == null || !ch.isObject() || !"email".equals(ch.path("type").asText()) || !ch.path("recipients").isArray()
                || ch.get("recipients").isEmpty() || ch.get("recipients").size() > 50) {
            throw ApiException.badRequest("notification_channel", "'notification_channel' must be {\"type\": \"email\", \"recipients\": [1 to 50 addresses]}.");
        }
        ArrayNode out = Json.array();
        for (JsonNode r : ch.get("recipients")) {
            if (!r.isTextual() || !r.asText().matches("[^@\\s]+@[^@\\s]+")) {
                throw ApiException.badRequest("notification_channel.recipients", "Each recipient must be an email address.");
            }
            out.add(r.asText());
        }
        return out;
    }

    private void listAlerts(ServerRequest req, ServerResponse res) {
        String project = req.path().pathParameters().get("project_id");
        ProjectsApi.require(platform.database().client().execute(), project);
        List<ObjectNode> rows = platform.database().list("SELECT * FROM spend_alerts WHERE project_id = ? ORDER BY created_at, id",
                SpendApi::renderAlert, project);
        JsonBodies.send(res, Page.of(req, rows, o -> o.get("id").asText(), o -> o));
    }

    private void createAlert(ServerRequest req, ServerResponse res) {
        var actor = actor(req);
        String project = req.path().pathParameters().get("project_id");
        ObjectNode body = JsonBodies.readObject(req, platform.maxBodyBytes());
        long cents = cents(body);
        ArrayNode to = recipients(body, true);
        String prefix = body.path("notification_channel").path("subject_prefix").asText(null);
        String id = "alert_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
        ObjectNode out = platform.database().inTransaction(tx -> {
            ProjectsApi.require(tx, project);
            tx.insert("INSERT INTO spend_alerts (id, project_id, threshold_cents, recipients, subject_prefix, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    id, project, cents, Json.string(to), prefix, System.currentTimeMillis() / 1000);
            ObjectNode alert = renderAlert(requireAlert(tx, project, id));
            platform.audit().record(tx, "spend_alert.created", project, actor, alert.deepCopy());
            return alert;
        });
        JsonBodies.send(res, out);
    }

    private void getAlert(ServerRequest req, ServerResponse res) {
        String project = req.path().pathParameters().get("project_id");
        JsonBodies.send(res, renderAlert(requireAlert(platform.database().client().execute(), project,
                req.path().pathParameters().get("alert_id"))));
    }

    private void updateAlert(ServerRequest req, ServerResponse res) {
        var actor = actor(req);
        String project = req.path().pathParameters().get("project_id");
        String id = req.path().pathParameters().get("alert_id");
        ObjectNode body = JsonBodies.readObject(req, platform.maxBodyBytes());
        Long cents = body.has("threshold_amount") ? cents(body) : null;
        ArrayNode to = recipients(body, false);
        ObjectNode out = platform.database().inTransaction(tx -> {
            requireAlert(tx, project, id);
            if (cents != null) {
                tx.update("UPDATE spend_alerts SET threshold_cents = ?, fired_month = NULL WHERE id = ?", cents, id);
            }
            if (to != null) {
                tx.update("UPDATE spend_alerts SET recipients = ?, subject_prefix = ? WHERE id = ?", Json.string(to),
                        body.path("notification_channel").path("subject_prefix").asText(null), id);
            }
            ObjectNode alert = renderAlert(requireAlert(tx, project, id));
            platform.audit().record(tx, "spend_alert.updated", project, actor, alert.deepCopy());
            return alert;
        });
        JsonBodies.send(res, out);
    }

    private void deleteAlert(ServerRequest req, ServerResponse res) {
        var actor = actor(req);
        String project = req.path().pathParameters().get("project_id");
        String id = req.path().pathParameters().get("alert_id");
        platform.database().transaction(tx -> {
            requireAlert(tx, project, id);
            tx.delete("DELETE FROM spend_alerts WHERE id = ?", id);
            platform.audit().record(tx, "spend_alert.deleted", project, actor, Json.object().put("id", id));
        });
        JsonBodies.send(res, Json.object().put("id", id).put("object", "project.spend_alert.deleted").put("deleted", true));
    }
}
