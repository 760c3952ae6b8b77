package dev.loopline.responses.conversation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.auth.AuthenticatedUser;
import dev.loopline.common.auth.Principal;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.http.JsonBodies;
import dev.loopline.common.ids.Ids;
import dev.loopline.common.json.Json;
import dev.loopline.responses.api.CreateRequest;
import dev.loopline.responses.api.ItemPages;
import dev.loopline.responses.api.Items;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** {@code /v1/conversations/**}: conversations and their items (OpenAI shapes), owned by a tenant. */
public final class ConversationsApi {
    private final ConversationStore store;
    private final long maxBodyBytes;

    public ConversationsApi(ConversationStore store, long maxBodyBytes) {
        this.store = store;
        this.maxBodyBytes = maxBodyBytes;
    }

    public void routing(HttpRouting.Builder routing) {
        routing.post("/v1/conversations", this::create)
                .get("/v1/conversations/{id}", this::get)
                .post("/v1/conversations/{id}", this::update)
                .delete("/v1/conversations/{id}", this::delete)
                .post("/v1/conversations/{id}/items", this::addItems)
                .get("/v1/conversations/{id}/items", this::listItems)
                .get("/v1/conversations/{id}/items/{item}", this::getItem)
                .delete("/v1/conversations/{id}/items/{item}", this::deleteItem);
    }

    static ObjectNode metadata(JsonNode m) {
        if (m == null || m.isNull()) {
            return Json.object();
        }
        if (!m.isObject() || m.size() > 16) {
            throw ApiException.badRequest("metadata", "'metadata' must be an object of at most 16 pairs.");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = m.fields(); it.hasNext(); ) {
            var e = it.next();
            if (e.getKey().length() > 64 || !e.getValue().isTextual() || e.getValue().asText().length() > 512) {
                throw ApiException.badRequest("metadata." + e.getKey(), "metadata keys are strings of at most 64 characters and values strings of at most 512.");
            }
        }
        return (ObjectNode) m.deepCopy();
    }

    private ConversationStore.Conversation find(ServerRequest req, Principal who) {
        String id = req.path().pathParameters().get("id");
        return store.get(who.tenantId(), id).orElseThrow(() -> ApiException.notFound("Conversation with id '" + id + "' not found.", "conversation_id"));
    }

    private void create(ServerRequest req, ServerResponse res) {
        Principal who = AuthenticatedUser.require();
        ObjectNode body = JsonBodies.readObject(req, maxBodyBytes);
        ArrayNode items = body.hasNonNull("items") ? Items.withIds(CreateRequest.items(body.get("items"))) : Json.array();
        JsonBodies.send(res, store.create(who.tenantId(), Ids.next("conv"), metadata(body.get("metadata")), items).toJson());
    }

    private void get(ServerRequest req, ServerResponse res) {
        JsonBodies.send(res, find(req, AuthenticatedUser.require()).toJson());
    }

    private void update(ServerRequest req, ServerResponse res) {
        Principal who = AuthenticatedUser.require();
        ConversationStore.Conversation c = find(req, who);
        ObjectNode body = JsonBodies.readObject(req, maxBodyBytes);
        if (!body.has("metadata")) {
            throw ApiException.badRequest("metadata", "Missing required parameter: 'metadata'.");
        }
        store.updateMetadata(who.tenantId(), c.id(), metadata(body.get("metadata")));
        JsonBodies.send(res, store.get(who.tenantId(), c.id()).orElseThrow().toJson());
    }

    private void delete(ServerRequest req, ServerResponse res) {
        Principal who = AuthenticatedUser.require();
        ConversationStore.Conversation c = find(req, who);
        store.delete(who.tenantId(), c.id());
        JsonBodies.send(res, Json.object().put("id", c.id()).put("object", "conversation.deleted").put("deleted", true));
    }

    private void addItems(ServerRequest req, ServerResponse res) {
        Principal who = AuthenticatedUser.require();
        ConversationStore.Conversation c = find(req, who);
        ArrayNode items = Items.withIds(CreateRequest.items(JsonBodies.readObject(req, maxBodyBytes).get("items")));
        store.append(c.id(), items);
        List<JsonNode> added = new ArrayList<>();
        items.forEach(added::add);
        JsonBodies.send(res, ItemPages.list(added, false));
    }

    private void listItems(ServerRequest req, ServerResponse res) {
        Principal who = AuthenticatedUser.require();
        ConversationStore.Conversation c = find(req, who);
        JsonBodies.send(res, ItemPages.page(req, store.items(c.id()), "this conversation"));
    }

    private void getItem(ServerRequest req, ServerResponse res) {
        Principal who = AuthenticatedUser.require();
        ConversationStore.Conversation c = find(req, who);
        String item = req.path().pathParameters().get("item");
        JsonBodies.send(res, store.item(c.id(), item).orElseThrow(() -> ApiException.notFound("Item with id '" + item + "' not found.", "item_id")));
    }

    private void deleteItem(ServerRequest req, ServerResponse res) {
        Principal who = AuthenticatedUser.require();
        ConversationStore.Conversation c = find(req, who);
        String item = req.path().pathParameters().get("item");
        if (!store.deleteItem(c.id(), item)) {
            throw ApiException.notFound("Item with id '" + item + "' not found.", "item_id");
        }
        JsonBodies.send(res, c.toJson());
    }
}
