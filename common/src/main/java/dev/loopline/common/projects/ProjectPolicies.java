package dev.loopline.common.projects;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.audit.AuditLog;
import dev.loopline.common.db.Database;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.json.Json;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * What a project may use, enforced before any upstream call: which models
 * ({@code model_permissions}: an allow list or a deny list) and which hosted tools
 * ({@code hosted_tool_permissions}). Read from {@code projects} and cached for
 * {@link #CACHE_MILLIS} per replica, so a change made on one replica holds everywhere within
 * that. A tenant with no project row (a JWT-only tenant) may use everything. A refusal is a 403
 * in OpenAI's error shape and an audit event.
 */
public final class ProjectPolicies {
    static final long CACHE_MILLIS = 5_000;
    /** The hosted tools a project can be allowed or refused, by their Responses API type. */
    public static final List<String> HOSTED_TOOLS = List.of("web_search", "file_search", "code_interpreter", "mcp", "image_generation");

    private final Database db;
    private final AuditLog audit;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();
    private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();

    /** A project's permissions; {@code allowList}: only {@code models} may be called, else all but them. */
    public record Policy(boolean allowList, Set<String> models, Map<String, Boolean> hostedTools) {
        static final Policy OPEN = new Policy(false, Set.of(), Map.of());

        public boolean modelAllowed(String model) {
            return allowList == models.contains(model);
        }

        public boolean toolAllowed(String tool) {
            return hostedTools.getOrDefault(tool, true);
        }
    }

    private record Cached(Policy policy, long until) {
    }

    public ProjectPolicies(Database db, AuditLog audit) {
        this.db = db;
        this.audit = audit;
    }

    public Policy of(String projectId) {
        long now = System.currentTimeMillis();
        Cached c = cache.get(projectId);
        if (c != null && c.until() > now) {
            return c.policy();
        }
        Policy p = load(projectId).orElse(Policy.OPEN);
        cache.put(projectId, new Cached(p, now + CACHE_MILLIS));
        return p;
    }

    private Optional<Policy> load(String projectId) {
        return db.client().execute().get("SELECT model_mode, model_ids, hosted_tools FROM projects WHERE id = ?", projectId).map(r -> {
            Set<String> models = new HashSet<>();
            Json.parse(r.column("model_ids").getString()).forEach(m -> models.add(m.asText()));
            Map<String, Boolean> tools = new ConcurrentHashMap<>();
            JsonNode t = Json.parse(r.column("hosted_tools").getString());
            t.fields().forEachRemaining(e -> tools.put(e.getKey(), e.getValue().path("enabled").asBoolean(true)));
            return new Policy("allow_list".equals(r.column("model_mode").getString()), Set.copyOf(models), Map.copyOf(tools));
        });
    }

    /** Forgets this replica's cached copy, and tells the listeners (the admin API calls it after any change to a project). */
    public void changed(String projectId) {
        cache.remove(projectId);
        listeners.forEach(l -> l.accept(projectId));
    }

    /** Told of every change made to a project in this process (what caches project settings of its own forgets them). */
    public void onChange(Consumer<String> listener) {
        listeners.add(listener);
    }

    /** A 403 (and an audit event) unless the caller's project may call {@code model}; {@code where}: the endpoint. */
    public void requireModel(AuditLog.Actor who, String model, String where) {
        if (model != null && !of(who.projectId()).modelAllowed(model)) {
            audit.record("request.denied", who.projectId(), who,
                    Json.object().put("reason", "model_not_allowed").put("model", model).put("path", where));
            throw ApiException.forbidden("This project is not allowed to use the model '" + model
                    + "' (its model permissions; ask an admin of your loopline).", "model_not_allowed");
        }
    }

    /** A 403 (and an audit event) unless the caller's project may use the hosted tool {@code tool} (a permission name of {@link #HOSTED_TOOLS}). */
    public void requireHostedTool(AuditLog.Actor who, String tool, String where) {
        if (!of(who.projectId()).toolAllowed(tool)) {
            audit.record("request.denied", who.projectId(), who,
                    Json.object().put("reason", "tool_not_allowed").put("tool", tool).put("path", where));
            throw ApiException.forbidden("This project is not allowed to use the hosted tool '" + tool
                    + "' (its hosted tool permissions; ask an admin of your loopline).", "tool_not_allowed");
        }
    }

    /** The permission a Responses API hosted tool type falls under ({@code web_search_preview} is {@code web_search}). */
    public static String permissionOf(String toolType) {
        return toolType.startsWith("web_search") ? "web_search" : toolType;
    }
}
