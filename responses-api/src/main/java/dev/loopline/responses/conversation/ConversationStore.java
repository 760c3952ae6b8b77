package dev.loopline.responses.conversation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.db.Database;
import dev.loopline.common.json.Json;
import io.helidon.dbclient.DbTransaction;

import java.util.List;
import java.util.Optional;

/** Conversations and their ordered items; every read names the tenant. Items are appended in one transaction. */
public final class ConversationStore {
    private final Database db;

    public ConversationStore(Database db) {
        this.db = db;
    }

    public record Conversation(String id, long createdAt, ObjectNode metadata) {
        public ObjectNode toJson() {
            ObjectNode o = Json.object().put("id", id).put("object", "conversation");
            o.set("metadata", metadata);
            return o.put("created_at", createdAt);
        }
    }

    public Conversation create(String tenant, String id, ObjectNode metadata, ArrayNode items) {
        long now = System.currentTimeMillis() / 1000;
        db.transaction(tx -> {
            tx.insert("INSERT INTO conversations (id, tenant_id, created_at, metadata) VALUES (?, ?, ?, ?)", id, tenant, now, Json.string(metadata));
            insert(tx, id, 0, items);
        });
        return new Conversation(id, now, metadata);
    }

    public Optional<Conversation> get(String tenant, String id) {
        return db.client().execute().get("SELECT * FROM conversations WHERE id = ? AND tenant_id = ?", id, tenant)
                .map(r -> new Conversation(r.column("id").getString(), r.column("created_at").getLong(),
                        (ObjectNode) Json.parse(r.column("metadata").getString())));
    }

    public void updateMetadata(String tenant, String id, ObjectNode metadata) {
        db.client().execute().update("UPDATE conversations SET metadata = ? WHERE id = ? AND tenant_id = ?", Json.string(metadata), id, tenant);
    }

    public boolean delete(String tenant, String id) {
        return db.inTransaction(tx -> {
            long n = tx.delete("DELETE FROM conversations WHERE id = ? AND tenant_id = ?", id, tenant);
            if (n > 0) {
                tx.delete("DELETE FROM conversation_items WHERE conversation_id = ?", id);
            }
            return n > 0;
        });
    }

    /** Appends items after the last one (the caller checked the conversation is the tenant's). */
    public void append(String conversationId, ArrayNode items) {
        db.transaction(tx -> {
            long next = tx.get("SELECT COALESCE(MAX(seq), -1) AS s FROM conversation_items WHERE conversation_id = ?", conversationId)
                    .map(r -> r.column("s").get(Number.class).longValue()).orElse(-1L) + 1;
            insert(tx, conversationId, next, items);
        });
    }

    private static void insert(DbTransaction tx, String conversationId, long from, ArrayNode items) {
        for (int i = 0; i < items.size(); i++) {
            JsonNode item = items.get(i);
            tx.insert("INSERT INTO conversation_items (conversation_id, seq, item_id, body) VALUES (?, ?, ?, ?)",
                    conversationId, from + i, item.path("id").asText(), Json.string(item));
        }
    }

    /** All items, oldest first. */
    public List<JsonNode> items(String conversationId) {
        return db.list("SELECT body FROM conversation_items WHERE conversation_id = ? ORDER BY seq",
                r -> Json.parse(r.column("body").getString()), conversationId);
    }

    public Optional<JsonNode> item(String conversationId, String itemId) {
        return db.client().execute().get("SELECT body FROM conversation_items WHERE conversation_id = ? AND item_id = ?", conversationId, itemId)
                .map(r -> Json.parse(r.column("body").getString()));
    }

    public boolean deleteItem(String conversationId, String itemId) {
        return db.client().execute().delete("DELETE FROM conversation_items WHERE conversation_id = ? AND item_id = ?", conversationId, itemId) > 0;
    }
}
