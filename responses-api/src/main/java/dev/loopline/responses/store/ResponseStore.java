package dev.loopline.responses.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.db.Database;
import dev.loopline.common.json.Json;
import io.helidon.dbclient.DbTransaction;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Responses, their ordered input and output items, and tool executions. Every read filters by
 * tenant; a response and its items are written in one transaction, so a reader never sees one
 * without the other.
 */
public final class ResponseStore {
    private final Database db;

    public ResponseStore(Database db) {
        this.db = db;
    }

    public void save(String tenant, String user, ObjectNode response, ArrayNode inputItems, ArrayNode outputItems) {
        save(tenant, user, response, inputItems, outputItems, tx -> {
        });
    }

    /** {@code also}: more writes in the same transaction (a background response's job and first event). */
    public void save(String tenant, String user, ObjectNode response, ArrayNode inputItems, ArrayNode outputItems,
                     Consumer<DbTransaction> also) {
        long now = System.currentTimeMillis() / 1000;
        db.transaction(tx -> {
            tx.insert("INSERT INTO responses (id, tenant_id, user_id, status, model, created_at, updated_at, previous_response_id, body) "
                            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    response.get("id").asText(), tenant, user, response.get("status").asText(), response.get("model").asText(),
                    response.get("created_at").asLong(), now,
                    response.path("previous_response_id").isTextual() ? response.get("previous_response_id").asText() : null,
                    Json.string(response));
            insertItems(tx, response.get("id").asText(), "input", inputItems);
            insertItems(tx, response.get("id").asText(), "output", outputItems);
            also.accept(tx);
        });
    }

    private static void insertItems(DbTransaction tx, String responseId, String direction, ArrayNode items) {
        for (int i = 0; i < items.size(); i++) {
            JsonNode item = items.get(i);
            tx.insert("INSERT INTO response_items (response_id, direction, seq, item_id, item_type, body) VALUES (?, ?, ?, ?, ?, ?)",
                    responseId, direction, i, item.path("id").asText(null), item.path("type").asText("message"), Json.string(item));
        }
    }

    /**
     * A background response's final state: its body and status replaced, its output items
     * written, in one transaction; only while it is still queued or in progress (a cancelled one
     * stays cancelled). Returns whether it was applied.
     */
    public boolean finish(String tenant, ObjectNode response, ArrayNode outputItems) {
        return db.inTransaction(tx -> {
            long n = tx.update("UPDATE responses SET status = ?, body = ?, updated_at = ? WHERE id = ? AND tenant_id = ? AND status IN ('queued', 'in_progress')",
                    response.get("status").asText(), Json.string(response), System.currentTimeMillis() / 1000, response.get("id").asText(), tenant);
            if (n > 0) {
                insertItems(tx, response.get("id").asText(), "output", outputItems);
            }
            return n > 0;
        });
    }

    public Optional<ObjectNode> get(String tenant, String id) {
        return db.client().execute().get("SELECT body FROM responses WHERE id = ? AND tenant_id = ?", id, tenant)
                .map(r -> (ObjectNode) Json.parse(r.column("body").getString()));
    }

    /** A response's status alone (what a poller needs), without reading its body. */
    public Optional<String> status(String tenant, String id) {
        return db.client().execute().get("SELECT status FROM responses WHERE id = ? AND tenant_id = ?", id, tenant)
                .map(r -> r.column("status").getString());
    }

    public List<JsonNode> items(String responseId, String direction) {
        return db.list("SELECT body FROM response_items WHERE response_id = ? AND direction = ? ORDER BY seq",
                r -> Json.parse(r.column("body").getString()), responseId, direction);
    }

    public boolean delete(String tenant, String id) {
        return db.inTransaction(tx -> {
            long n = tx.delete("DELETE FROM responses WHERE id = ? AND tenant_id = ?", id, tenant);
            if (n > 0) {
                tx.delete("DELETE FROM response_items WHERE response_id = ?", id);
                tx.delete("DELETE FROM tool_executions WHERE response_id = ?", id);
                tx.delete("DELETE FROM response_events WHERE response_id = ?", id);
                tx.delete("DELETE FROM response_jobs WHERE response_id = ?", id);
            }
            return n > 0;
        });
    }

    public ToolExecutionLog toolLog(String tenant, String responseId) {
        return e -> db.client().execute().insert(
                "INSERT INTO tool_executions (id, response_id, tenant_id, round, tool, arguments, result, error, status, started_at, ended_at) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                e.id(), responseId, tenant, e.round(), e.tool(), e.arguments(), e.result(), e.error(), e.status(),
                e.startedAtMillis(), e.endedAtMillis());
    }

    /** A stored input or output item of one of the tenant's responses, by item id. */
    public Optional<JsonNode> item(String tenant, String itemId) {
        return db.client().execute().get("SELECT i.body FROM response_items i JOIN responses r ON r.id = i.response_id "
                        + "WHERE i.item_id = ? AND r.tenant_id = ? ORDER BY r.created_at DESC LIMIT 1", itemId, tenant)
                .map(r -> Json.parse(r.column("body").getString()));
    }

    /** What a built-in tool call returned (or its error), for replaying it to the model in a later turn. */
    public Optional<String> toolOutcome(String tenant, String itemId) {
        return db.client().execute().get("SELECT result, error FROM tool_executions WHERE id = ? AND tenant_id = ?", itemId, tenant)
                .map(r -> {
                    String result = r.column("result").get(String.class);
                    return result != null ? result : "Tool error: " + r.column("error").get(String.class);
                });
    }
}
