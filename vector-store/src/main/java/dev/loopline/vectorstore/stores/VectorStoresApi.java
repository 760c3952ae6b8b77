package dev.loopline.vectorstore.stores;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.auth.AuthenticatedUser;
import dev.loopline.common.auth.Principal;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.http.JsonBodies;
import dev.loopline.common.ids.Ids;
import dev.loopline.common.json.Json;
import dev.loopline.vectorstore.api.KeyValues;
import dev.loopline.vectorstore.api.Lists;
import dev.loopline.vectorstore.chunk.ChunkingStrategy;
import dev.loopline.vectorstore.embed.Embedder;
import dev.loopline.vectorstore.files.FileStore;
import dev.loopline.vectorstore.index.VectorIndex;
import dev.loopline.vectorstore.ingest.Ingestion;
import dev.loopline.vectorstore.search.SearchRequest;
import dev.loopline.vectorstore.search.SearchService;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code /v1/vector_stores/**}: stores, their files, file batches and search. */
public final class VectorStoresApi {
    private static final int MAX_FILES_PER_REQUEST = 2000;
    private final StoreRepository repo;
    private final FileStore files;
    private final VectorIndex index;
    private final Ingestion ingestion;
    private final SearchService search;
    private final Embedder embedder;
    private final long maxBodyBytes;

    public VectorStoresApi(StoreRepository repo, FileStore files, VectorIndex index, Ingestion ingestion, SearchService search,
                           Embedder embedder, long maxBodyBytes) {
        this.repo = repo;
        this.files = files;
        this.index = index;
        this.ingestion = ingestion;
        this.search = search;
        this.embedder = embedder;
        this.maxBodyBytes = maxBodyBytes;
    }

    public void routing(HttpRouting.Builder routing) {
        routing.post("/v1/vector_stores", this::create)
                .get("/v1/vector_stores", this::list)
                .get("/v1/vector_stores/{vs}", this::get)
                .post("/v1/vector_stores/{vs}", this::update)
                .delete("/v1/vector_stores/{vs}", this::delete)
                .post("/v1/vector_stores/{vs}/search", this::search)
                .post("/v1/vector_stores/{vs}/files", this::addFile)
                .get("/v1/vector_stores/{vs}/files", this::listFiles)
                .get("/v1/vector_stores/{vs}/files/{file}", this::getFile)
                .post("/v1/vector_stores/{vs}/files/{file}", this::updateFile)
                .delete("/v1/vector_stores/{vs}/files/{file}", this::deleteFile)
                .get("/v1/vector_stores/{vs}/files/{file}/content", this::fileContent)
                .post("/v1/vector_stores/{vs}/file_batches", this::createBatch)
                .get("/v1/vector_stores/{vs}/file_batches/{batch}", this::getBatch)
                .post("/v1/vector_stores/{vs}/file_batches/{batch}/cancel", this::cancelBatch)
                .get("/v1/vector_stores/{vs}/file_batches/{batch}/files", this::batchFiles);
    }

    // ---- stores

    private ObjectNode storeJson(StoreRecord s) {
        FileCounts counts = repo.counts(s.id());
        long now = System.currentTimeMillis() / 1000;
        ObjectNode o = Json.object()
                .put("id", s.id())
                .put("object", "vector_store")
                .put("created_at", s.createdAt())
                .put("name", s.name())
                .put("usage_bytes", repo.usageBytes(s.id()));
        o.set("file_counts", counts.toJson());
        o.put("status", s.expired(now) ? "expired" : counts.inProgress() > 0 ? "in_progress" : "completed");
        if (s.expiresAfterDays() != null) {
            o.putObject("expires_after").put("anchor", "last_active_at").put("days", s.expiresAfterDays());
            o.put("expires_at", s.expiresAt());
        } else {
            o.putNull("expires_at");
        }
        o.put("last_active_at", s.lastActiveAt());
        o.set("metadata", s.metadata());
        return o;
    }

    private static Integer expiresAfter(JsonNode node) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            return null;
        }
        if (!node.isObject() || !"last_active_at".equals(node.path("anchor").asText())) {
            throw ApiException.badRequest("expires_after.anchor", "'expires_after.anchor' must be 'last_active_at'.");
        }
        JsonNode days = node.path("days");
        if (!days.isIntegralNumber() || days.asInt() < 1 || days.asInt() > 365) {
            throw ApiException.badRequest("expires_after.days", "'expires_after.days' must be an integer between 1 and 365.");
        }
        return days.asInt();
    }

    private static String name(JsonNode body, String fallback) {
        JsonNode n = body.path("name");
        if (n.isMissingNode() || n.isNull()) {
            return fallback;
        }
        if (!n.isTextual() || n.asText().length() > 1024) {
            throw ApiException.badRequest("name", "'name' must be a string of at most 1024 characters.");
        }
        return n.asText();
    }

    private void create(ServerRequest req, ServerResponse res) {
        Principal who = AuthenticatedUser.require();
        ObjectNode body = JsonBodies.readObject(req, maxBodyBytes);
        String name = name(body, "");
        ObjectNode metadata = KeyValues.metadata(body.get("metadata"), "metadata");
        Integer expires = expiresAfter(body.get("expires_after"));
        ChunkingStrategy chunking = ChunkingStrategy.parse(body.get("chunking_strategy"), "chunking_strategy");
        List<String> fileIds = fileIds(body.get("file_ids"), "file_ids", who, false);
        long now = System.currentTimeMillis() / 1000;
        StoreRecord s = new StoreRecord(Ids.next("vs"), who.tenantId(), name, now, now, expires, metadata, embedder.model(),
                embedder.dimensions());
        repo.insertStore(s);
        for (String fileId : fileIds) {
            repo.upsertFile(who.tenantId(), s.id(), fileId, Json.object(), chunking.toJson(), null, now);
            ingestion.submit(who.tenantId(), s.id(), fileId);
        }
        JsonBodies.send(res, storeJson(s));
    }

    /** Checks a file id list: every id must be a file of this tenant (404 otherwise, as OpenAI does). */
    private List<String> fileIds(JsonNode node, String param, Principal who, boolean required) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            if (required) {
                throw ApiException.badRequest(param, "Missing required parameter: '" + param + "'.", "missing_required_parameter");
            }
            return List.of();
        }
        if (!node.isArray()) {
            throw ApiException.badRequest(param, "'" + param + "' must be an array of file ids.");
        }
        if (node.size() > MAX_FILES_PER_REQUEST) {
            throw ApiException.badRequest(param, "At most " + MAX_FILES_PER_REQUEST + " files per request.");
        }
        List<String> ids = new ArrayList<>();
        for (JsonNode id : node) {
            if (!id.isTextual()) {
                throw ApiException.badRequest(param, "'" + param + "' must be an array of file ids.");
            }
            requireFile(who, id.asText());
            if (!ids.contains(id.asText())) {
                ids.add(id.asText());
            }
        }
        return ids;
    }

    private void requireFile(Principal who, String fileId) {
        if (files.get(who.tenantId(), fileId).isEmpty()) {
            throw ApiException.notFound("No such File object: " + fileId, "file_id");
        }
    }

    private StoreRecord find(ServerRequest req, Principal who) {
        String id = req.path().pathParameters().get("vs");
        return repo.store(who.tenantId(), id).orElseThrow(() -> ApiException.notFound("No such vector store: " + id, "vector_store_id"));
    }

    private void list(ServerRequest req, ServerResponse res) {
        Principal who = AuthenticatedUser.require();
        Lists.Params p = Lists.params(req, 20, 100);
        List<StoreRecord> rows = repo.stores(who.tenantId(), p.ascending(), p.after(), p.before(), p.limit());
        JsonBodies.send(res, Lists.page(rows, p.limit(), this::storeJson, StoreRecord::id));
    }

    private void get(ServerRequest req, ServerResponse res) {
        JsonBodies.send(res, storeJson(find(req, AuthenticatedUser.require())));
    }

    private void update(ServerRequest req, ServerResponse res) {
        Principal who = AuthenticatedUser.require();
        StoreRecord s = find(req, who);
        ObjectNode body = JsonBodies.readObject(req, maxBodyBytes);
        String name = name(body, s.name());
        Integer expires = body.has("expires_after") ? expiresAfter(body.get("expires_after")) : s.expiresAfterDays();
        ObjectNode metadata = body.has("metadata") ? KeyValues.metadata(body.get("metadata"), "metadata") : s.metadata();
        repo.updateStore(who.tenantId(), s.id(), name, expires, metadata);
        JsonBodies.send(res, storeJson(repo.store(who.tenantId(), s.id()).orElseThrow()));
    }

    private void delete(ServerRequest req, ServerResponse res) {
        Principal who = AuthenticatedUser.require();
        StoreRecord s = find(req, who);
        repo.deleteStore(who.tenantId(), s.id());
        index.dropStore(s.id());
        JsonBodies.send(res, Json.object().put("id", s.id()).put("object", "vector_store.deleted").put("deleted", true));
    }

    // ---- search

    private void search(ServerRequest req, ServerResponse res) {
        Principal who = AuthenticatedUser.require();
        StoreRecord s = find(req, who);
        SearchRequest r = SearchRequest.parse(JsonBodies.readObject(req, maxBodyBytes));
        long now = System.currentTimeMillis() / 1000;
        if (s.expired(now)) {
            throw ApiException.badRequest("vector_store_id", "Vector store " + s.id() + " has expired.", "vector_store_expired");
        }
        if (!s.embeddingModel().equals(embedder.model()) || s.dimensions() != embedder.dimensions()) {
            throw ApiException.badRequest("vector_store_id", "Vector store " + s.id() + " holds " + s.embeddingModel() + " vectors ("
                    + s.dimensions() + " dims) but this server embeds queries with " + embedder.model() + " (" + embedder.dimensions()
                    + " dims); vectors of different models cannot be compared.", "embedding_model_mismatch");
        }
        List<VectorIndex.Hit> hits = search.search(s.id(), r);
        repo.touch(who.tenantId(), s.id(), now);
        ObjectNode page = Json.object().put("object", "vector_store.search_results.page");
        ArrayNode queries = page.putArray("search_query");
        r.queries().forEach(queries::add);
        ArrayNode data = page.putArray("data");
        for (VectorIndex.Hit h : hits) {
            ObjectNode item = data.addObject().put("file_id", h.fileId()).put("filename", h.filename()).put("score", h.score());
            item.set("attributes", h.attributes());
            item.putArray("content").addObject().put("type", "text").put("text", h.text());
        }
        page.put("has_more", false).putNull("next_page");
        JsonBodies.send(res, page);
    }

    // ---- files in a store

    private void addFile(ServerRequest req, ServerResponse res) {
        Principal who = AuthenticatedUser.require();
        StoreRecord s = find(req, who);
        ObjectNode body = JsonBodies.readObject(req, maxBodyBytes);
        JsonNode fileId = body.path("file_id");
        if (!fileId.isTextual()) {
            throw ApiException.badRequest("file_id", "Missing required parameter: 'file_id'.", "missing_required_parameter");
        }
        requireFile(who, fileId.asText());
        ObjectNode attributes = KeyValues.attributes(body.get("attributes"), "attributes");
        ChunkingStrategy chunking = ChunkingStrategy.parse(body.get("chunking_strategy"), "chunking_strategy");
        repo.upsertFile(who.tenantId(), s.id(), fileId.asText(), attributes, chunking.toJson(), null, System.currentTimeMillis() / 1000);
        ingestion.submit(who.tenantId(), s.id(), fileId.asText());
        JsonBodies.send(res, repo.file(who.tenantId(), s.id(), fileId.asText()).orElseThrow().toJson());
    }

    private static final Set<String> STATUSES = Set.of("in_progress", "completed", "failed", "cancelled");

    private static String statusFilter(ServerRequest req) {
        if (!req.query().contains("filter")) {
            return null;
        }
        String f = req.query().get("filter");
        if (!STATUSES.contains(f)) {
            throw ApiException.badRequest("filter", "'filter' must be one of in_progress, completed, failed, cancelled.");
        }
        return f;
    }

    private void listFiles(ServerRequest req, ServerResponse res) {
        Principal who = AuthenticatedUser.require();
        StoreRecord s = find(req, who);
        Lists.Params p = Lists.params(req, 20, 100);
        List<StoreFileRecord> rows = repo.files(who.tenantId(), s.id(), null, statusFilter(req), p.ascending(), p.after(), p.before(), p.limit());
        JsonBodies.send(res, Lists.page(rows, p.limit(), StoreFileRecord::toJson, StoreFileRecord::fileId));
    }

    private StoreFileRecord findFile(ServerRequest req, Principal who, StoreRecord s) {
        String fileId = req.path().pathParameters().get("file");
        return repo.file(who.tenantId(), s.id(), fileId)
                .orElseThrow(() -> ApiException.notFound("No file " + fileId + " in vector store " + s.id() + ".", "file_id"));
    }

    private void getFile(ServerRequest req, ServerResponse res) {
        Principal who = AuthenticatedUser.require();
        JsonBodies.send(res, findFile(req, who, find(req, who)).toJson());
    }

    private void updateFile(ServerRequest req, ServerResponse res) {
        Principal who = AuthenticatedUser.require();
        StoreRecord s = find(req, who);
        StoreFileRecord f = findFile(req, who, s);
        ObjectNode body = JsonBodies.readObject(req, maxBodyBytes);
        if (!body.has("attributes")) {
            throw ApiException.badRequest("attributes", "Missing required parameter: 'attributes'.", "missing_required_parameter");
        }
        ObjectNode attributes = KeyValues.attributes(body.get("attributes"), "attributes");
        // Row first: a file still being ingested picks the new attributes up when it indexes.
        repo.updateAttributes(who.tenantId(), s.id(), f.fileId(), attributes);
        if (f.status().equals(StoreRepository.COMPLETED)) {
            index.updateAttributes(s.id(), f.fileId(), attributes);
        }
        JsonBodies.send(res, repo.file(who.tenantId(), s.id(), f.fileId()).orElseThrow().toJson());
    }

    private void deleteFile(ServerRequest req, ServerResponse res) {
        Principal who = AuthenticatedUser.require();
        StoreRecord s = find(req, who);
        StoreFileRecord f = findFile(req, who, s);
        repo.deleteFile(who.tenantId(), s.id(), f.fileId());
        index.deleteFile(s.id(), f.fileId());
        JsonBodies.send(res, Json.object().put("id", f.fileId()).put("object", "vector_store.file.deleted").put("deleted", true));
    }

    private void fileContent(ServerRequest req, ServerResponse res) {
        Principal who = AuthenticatedUser.require();
        StoreRecord s = find(req, who);
        StoreFileRecord f = findFile(req, who, s);
        ObjectNode page = Json.object().put("object", "vector_store.file_content.page");
        ArrayNode data = page.putArray("data");
        for (VectorIndex.Hit h : index.fileChunks(s.id(), f.fileId())) {
            data.addObject().put("type", "text").put("text", h.text());
        }
        page.put("has_more", false).putNull("next_page");
        JsonBodies.send(res, page);
    }

    // ---- batches

    private ObjectNode batchJson(StoreRepository.BatchRecord b) {
        FileCounts c = repo.batchCounts(b.id());
        // Cancelling moves the batch's in-progress files to cancelled in the same transaction.
        String status = b.cancelled() ? "cancelled"
                : c.inProgress() > 0 ? "in_progress"
                : c.total() > 0 && c.failed() == c.total() ? "failed" : "completed";
        ObjectNode o = Json.object().put("id", b.id()).put("object", "vector_store.files_batch").put("created_at", b.createdAt())
                .put("vector_store_id", b.storeId()).put("status", status);
        o.set("file_counts", c.toJson());
        return o;
    }

    private void createBatch(ServerRequest req, ServerResponse res) {
        Principal who = AuthenticatedUser.require();
        StoreRecord s = find(req, who);
        ObjectNode body = JsonBodies.readObject(req, maxBodyBytes);
        ObjectNode sharedAttributes = KeyValues.attributes(body.get("attributes"), "attributes");
        ChunkingStrategy sharedChunking = ChunkingStrategy.parse(body.get("chunking_strategy"), "chunking_strategy");
        Map<String, ObjectNode[]> wanted = new LinkedHashMap<>();
        if (body.has("files") && body.has("file_ids")) {
            throw ApiException.badRequest("files", "Give either 'file_ids' or 'files', not both.");
        }
        if (body.has("files")) {
            JsonNode list = body.get("files");
            if (!list.isArray() || list.isEmpty() || list.size() > MAX_FILES_PER_REQUEST) {
                throw ApiException.badRequest("files", "'files' must be a non-empty array of at most " + MAX_FILES_PER_REQUEST + " items.");
            }
            for (int i = 0; i < list.size(); i++) {
                JsonNode item = list.get(i);
                if (!item.path("file_id").isTextual()) {
                    throw ApiException.badRequest("files[" + i + "].file_id", "Each item needs a 'file_id'.");
                }
                requireFile(who, item.get("file_id").asText());
                ObjectNode attrs = item.has("attributes") ? KeyValues.attributes(item.get("attributes"), "files[" + i + "].attributes") : sharedAttributes;
                ChunkingStrategy chunking = item.has("chunking_strategy")
                        ? ChunkingStrategy.parse(item.get("chunking_strategy"), "files[" + i + "].chunking_strategy") : sharedChunking;
                wanted.put(item.get("file_id").asText(), new ObjectNode[]{attrs, chunking.toJson()});
            }
        } else {
            for (String id : fileIds(body.get("file_ids"), "file_ids", who, true)) {
                wanted.put(id, new ObjectNode[]{sharedAttributes, sharedChunking.toJson()});
            }
            if (wanted.isEmpty()) {
                throw ApiException.badRequest("file_ids", "'file_ids' must not be empty.");
            }
        }
        long now = System.currentTimeMillis() / 1000;
        String batchId = Ids.next("vsfb");
        repo.insertBatch(batchId, s.id(), who.tenantId(), now);
        for (Map.Entry<String, ObjectNode[]> e : wanted.entrySet()) {
            repo.upsertFile(who.tenantId(), s.id(), e.getKey(), e.getValue()[0], e.getValue()[1], batchId, now);
            ingestion.submit(who.tenantId(), s.id(), e.getKey());
        }
        JsonBodies.send(res, batchJson(repo.batch(who.tenantId(), s.id(), batchId).orElseThrow()));
    }

    private StoreRepository.BatchRecord findBatch(ServerRequest req, Principal who, StoreRecord s) {
        String id = req.path().pathParameters().get("batch");
        return repo.batch(who.tenantId(), s.id(), id).orElseThrow(() -> ApiException.notFound("No such file batch: " + id, "batch_id"));
    }

    private void getBatch(ServerRequest req, ServerResponse res) {
        Principal who = AuthenticatedUser.require();
        JsonBodies.send(res, batchJson(findBatch(req, who, find(req, who))));
    }

    private void cancelBatch(ServerRequest req, ServerResponse res) {
        Principal who = AuthenticatedUser.require();
        StoreRecord s = find(req, who);
        StoreRepository.BatchRecord b = findBatch(req, who, s);
        repo.cancelBatch(b.id());
        JsonBodies.send(res, batchJson(repo.batch(who.tenantId(), s.id(), b.id()).orElseThrow()));
    }

    private void batchFiles(ServerRequest req, ServerResponse res) {
        Principal who = AuthenticatedUser.require();
        StoreRecord s = find(req, who);
        StoreRepository.BatchRecord b = findBatch(req, who, s);
        Lists.Params p = Lists.params(req, 20, 100);
        List<StoreFileRecord> rows = repo.files(who.tenantId(), s.id(), b.id(), statusFilter(req), p.ascending(), p.after(), p.before(), p.limit());
        JsonBodies.send(res, Lists.page(rows, p.limit(), StoreFileRecord::toJson, StoreFileRecord::fileId));
    }
}
