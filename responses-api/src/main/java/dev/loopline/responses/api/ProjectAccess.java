package dev.loopline.responses.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.audit.AuditLog;
import dev.loopline.common.projects.ProjectPolicies;
import dev.loopline.responses.hosted.HostedTools;

/**
 * A create request held to its project's permissions before anything runs (no model call, no tool,
 * nothing stored or queued, background mode included): the model, and every hosted tool it offers.
 * A refusal is a 403 in OpenAI's shape and an audit event ({@link ProjectPolicies}). llm-proxy
 * checks the model again on every call, whoever makes it.
 */
public final class ProjectAccess {
    private ProjectAccess() {
    }

    public static void check(ProjectPolicies policies, HostedTools hosted, CreateRequest r, AuditLog.Actor actor, String where) {
        policies.requireModel(actor, r.model(), where);
        for (JsonNode t : r.tools()) {
            String type = t.path("type").asText();
            if (hosted.forType(type).isPresent()) {
                policies.requireHostedTool(actor, ProjectPolicies.permissionOf(type), where);
            }
        }
    }
}
