package dev.loopline.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.config.Settings;
import dev.loopline.common.json.Json;
import dev.loopline.common.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Administration API over HTTP on the whole app: only admin keys reach it (and reach nothing
 * else); projects, service accounts and their keys; model and hosted-tool permissions enforced on
 * /v1/responses (background mode included) and on llm-proxy before any upstream call; archiving;
 * the audit log of all of it.
 */
class AdminApiTest {
    private static final String ADMIN = "ll-admin-test-0123456789abcdef0123456789abcdef";

    private static HttpResponse<String> as(String key, String method, String base, String path, String body) {
        var b = HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json");
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return TestApp.send(b.build());
    }

    private static JsonNode admin(String method, String base, String path, String body) {
        return TestApp.ok(as(ADMIN, method, base, path, body));
    }

    @Test
    void projectsKeysPermissionsAndTheAuditLog(@TempDir Path dir) {
        try (Main.Running app = Main.start(Settings.of(TestApp.env(dir, "LOOPLINE_SANDBOX", "off", "LOOPLINE_ADMIN_KEY", ADMIN)), null)) {
            String base = TestApp.base(app);
            // Who reaches what.
            TestServer.error(as(null, "GET", base, "/v1/organization/projects", null), 401);
            assertEquals("insufficient_permissions", TestServer.error(as(TestApp.KEY, "GET", base, "/v1/organization/projects", null), 403)
                    .path("code").asText(), "a project key reaches nothing under /v1/organization");
            TestServer.error(as(TestApp.KEY, "GET", base, "/v1/organization/audit_logs", null), 403);
            TestServer.error(as(ADMIN, "POST", base, "/v1/responses", "{\"model\":\"loopline-sim\",\"input\":\"hi\"}"), 403);
            TestServer.error(as(ADMIN, "GET", base, "/v1/models", null), 403);

            // Projects: the dev key's tenant is one already; create, read, rename; bad input.
            JsonNode listed = admin("GET", base, "/v1/organization/projects", null);
            assertEquals("list", listed.path("object").asText());
            assertEquals("default", listed.path("data").get(0).path("id").asText(), listed.toString());
            JsonNode p = admin("POST", base, "/v1/organization/projects", "{\"name\":\"Research\"}");
            String project = p.path("id").asText();
            assertTrue(project.startsWith("proj_"), p.toString());
            assertEquals("organization.project", p.path("object").asText());
            assertEquals("active", p.path("status").asText());
            assertTrue(p.path("archived_at").isNull());
            assertEquals("Lab", admin("POST", base, "/v1/organization/projects/" + project, "{\"name\":\"Lab\"}").path("name").asText());
            assertEquals("name", TestServer.error(as(ADMIN, "POST", base, "/v1/organization/projects", "{\"name\":\"\"}"), 400).path("param").asText());
            assertEquals("name", TestServer.error(as(ADMIN, "POST", base, "/v1/organization/projects", "{\"name\":7}"), 400).path("param").asText());
            TestServer.error(as(ADMIN, "GET", base, "/v1/organization/projects/proj_nope", null), 404);
            assertEquals("limit", TestServer.error(as(ADMIN, "GET", base, "/v1/organization/projects?limit=0", null), 400).path("param").asText());
            JsonNode page = admin("GET", base, "/v1/organization/projects?limit=1", null);
            assertEquals(1, page.path("data").size());
            assertTrue(page.path("has_more").asBoolean());
            JsonNode next = admin("GET", base, "/v1/organization/projects?limit=1&after=" + page.path("last_id").asText(), null);
            assertEquals(project, next.path("data").get(0).path("id").asText());
            assertFalse(next.path("has_more").asBoolean());

            // A service account brings the project's key, shown once; it works on the API, and is listed redacted.
            JsonNode account = admin("POST", base, "/v1/organization/projects/" + project + "/service_accounts", "{\"name\":\"ci-bot\"}");
            String key = account.path("api_key").path("value").asText();
            String keyId = account.path("api_key").path("id").asText();
            assertTrue(key.startsWith("ll-proj-"), account.toString());
            assertEquals("organization.project.service_account", account.path("object").asText());
            assertEquals(200, TestApp.post(base, key, "{\"model\":\"loopline-sim\",\"input\":\"hello\"}").statusCode());
            JsonNode keys = admin("GET", base, "/v1/organization/projects/" + project + "/api_keys", null);
            assertEquals(1, keys.path("data").size());
            JsonNode listedKey = keys.path("data").get(0);
            assertEquals(keyId, listedKey.path("id").asText());
            assertFalse(listedKey.toString().contains(key), "the secret is never shown again");
            assertEquals("service_account", listedKey.path("owner").path("type").asText());
            assertTrue(listedKey.path("last_used_at").asLong() > 0, listedKey.toString());
            TestServer.error(as(ADMIN, "GET", base, "/v1/organization/projects/" + project + "/api_keys/key_nope", null), 404);

            // Model permissions: enforced on /v1/responses and on llm-proxy, before any upstream call.
            assertEquals("mode", TestServer.error(as(ADMIN, "POST", base, "/v1/organization/projects/" + project + "/model_permissions",
                    "{\"mode\":\"some\",\"model_ids\":[]}"), 400).path("param").asText());
            assertEquals("model_ids", TestServer.error(as(ADMIN, "POST", base, "/v1/organization/projects/" + project + "/model_permissions",
                    "{\"mode\":\"allow_list\",\"model_ids\":\"x\"}"), 400).path("param").asText());
            JsonNode models = admin("POST", base, "/v1/organization/projects/" + project + "/model_permissions",
                    "{\"mode\":\"allow_list\",\"model_ids\":[\"another-model\"]}");
            assertEquals("project.model_permissions", models.path("object").asText());
            int responsesBefore = TestApp.count(app.platform().database(), "SELECT COUNT(*) AS n FROM responses");
            assertEquals("model_not_allowed", TestServer.error(TestApp.post(base, key, "{\"model\":\"loopline-sim\",\"input\":\"hi\"}"), 403)
                    .path("code").asText());
            assertEquals("model_not_allowed", TestServer.error(TestApp.post(base, key,
                    "{\"model\":\"loopline-sim\",\"input\":\"hi\",\"background\":true}"), 403).path("code").asText());
            assertEquals(responsesBefore, TestApp.count(app.platform().database(), "SELECT COUNT(*) AS n FROM responses"), "nothing stored or queued");
            assertEquals("model_not_allowed", TestServer.error(TestApp.postAs(base, key, "/v1/chat/completions",
                    "{\"model\":\"loopline-sim\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"), 403).path("code").asText());
            assertEquals(200, TestApp.post(base, TestApp.KEY, "{\"model\":\"loopline-sim\",\"input\":\"hi\"}").statusCode(),
                    "another project is not touched");
            admin("POST", base, "/v1/organization/projects/" + project + "/model_permissions", "{\"mode\":\"deny_list\",\"model_ids\":[]}");
            assertEquals(200, TestApp.post(base, key, "{\"model\":\"loopline-sim\",\"input\":\"hi\"}").statusCode());

            // Hosted tool permissions.
            JsonNode tools = admin("POST", base, "/v1/organization/projects/" + project + "/hosted_tool_permissions",
                    "{\"web_search\":{\"enabled\":false}}");
            assertFalse(tools.path("web_search").path("enabled").asBoolean(true));
            assertTrue(tools.path("code_interpreter").path("enabled").asBoolean());
            assertEquals("tool_not_allowed", TestServer.error(TestApp.post(base, key,
                    "{\"model\":\"loopline-sim\",\"input\":\"search\",\"tools\":[{\"type\":\"web_search\"}],\"background\":true}"), 403)
                    .path("code").asText());
            assertEquals("tool_not_allowed", TestServer.error(TestApp.post(base, key,
                    "{\"model\":\"loopline-sim\",\"input\":\"search\",\"tools\":[{\"type\":\"web_search_preview\"}]}"), 403).path("code").asText());
            assertEquals("web_search.enabled", TestServer.error(as(ADMIN, "POST", base, "/v1/organization/projects/" + project
                    + "/hosted_tool_permissions", "{\"web_search\":true}"), 400).path("param").asText());
            TestServer.error(as(ADMIN, "POST", base, "/v1/organization/projects/" + project + "/hosted_tool_permissions",
                    "{\"teleport\":{\"enabled\":true}}"), 400);

            // Deleting the key revokes it; archiving a project stops its keys and hides it from the default list.
            JsonNode second = admin("POST", base, "/v1/organization/projects/" + project + "/service_accounts", "{\"name\":\"cron\"}");
            String key2 = second.path("api_key").path("value").asText();
            assertTrue(admin("DELETE", base, "/v1/organization/projects/" + project + "/api_keys/" + keyId, null).path("deleted").asBoolean());
            TestServer.error(TestApp.post(base, key, "{\"model\":\"loopline-sim\",\"input\":\"hi\"}"), 401);
            assertEquals(200, TestApp.post(base, key2, "{\"model\":\"loopline-sim\",\"input\":\"hi\"}").statusCode());
            assertEquals("archived", admin("POST", base, "/v1/organization/projects/" + project + "/archive", null).path("status").asText());
            TestServer.error(TestApp.post(base, key2, "{\"model\":\"loopline-sim\",\"input\":\"hi\"}"), 401);
            assertFalse(admin("GET", base, "/v1/organization/projects", null).toString().contains(project));
            assertTrue(admin("GET", base, "/v1/organization/projects?include_archived=true", null).toString().contains(project));
            TestServer.error(as(ADMIN, "POST", base, "/v1/organization/projects/" + project + "/service_accounts", "{\"name\":\"x\"}"), 400);

            // Admin keys: a second one works; the last one cannot be deleted.
            JsonNode made = admin("POST", base, "/v1/organization/admin_api_keys", "{\"name\":\"ops\"}");
            String admin2 = made.path("value").asText();
            assertEquals(200, as(admin2, "GET", base, "/v1/organization/admin_api_keys", null).statusCode());
            assertEquals(2, admin("GET", base, "/v1/organization/admin_api_keys", null).path("data").size());
            String bootstrapId = null;
            for (JsonNode k : admin("GET", base, "/v1/organization/admin_api_keys", null).path("data")) {
                if (!k.path("id").asText().equals(made.path("id").asText())) {
                    bootstrapId = k.path("id").asText();
                }
            }
            assertNotNull(bootstrapId);
            assertTrue(TestApp.ok(as(admin2, "DELETE", base, "/v1/organization/admin_api_keys/" + bootstrapId, null)).path("deleted").asBoolean());
            TestServer.error(as(ADMIN, "GET", base, "/v1/organization/projects", null), 401);
            assertEquals("key_id", TestServer.error(as(admin2, "DELETE", base, "/v1/organization/admin_api_keys/" + made.path("id").asText(), null), 400)
                    .path("param").asText(), "the last admin key stays");

            // The audit log: every change, every refusal, who and from where, newest first; filters.
            JsonNode log = TestApp.ok(as(admin2, "GET", base, "/v1/organization/audit_logs?limit=100", null));
            List<String> types = new ArrayList<>();
            log.path("data").forEach(e -> types.add(e.path("type").asText()));
            for (String t : List.of("project.created", "project.updated", "service_account.created", "api_key.created",
                    "project.model_permissions.updated", "project.hosted_tool_permissions.updated", "request.denied", "api_key.deleted",
                    "project.archived", "admin_api_key.created", "admin_api_key.deleted")) {
                assertTrue(types.contains(t), t + " in " + types);
            }
            assertEquals("admin_api_key.deleted", types.get(0), "newest first");
            JsonNode denied = TestApp.ok(as(admin2, "GET", base, "/v1/organization/audit_logs?event_types%5B%5D=request.denied&project_ids%5B%5D=" + project, null));
            assertEquals(5, denied.path("data").size(), denied.toString());
            JsonNode one = denied.path("data").get(0);
            assertEquals("tool_not_allowed", one.path("request.denied").path("reason").asText(), one.toString());
            assertEquals(project, one.path("project").path("id").asText());
            assertEquals(keyId, denied.path("data").get(4).path("actor").path("api_key").path("id").asText(), denied.toString());
            assertEquals("127.0.0.1", one.path("actor").path("api_key").path("ip_address").asText(), one.toString());
            assertFalse(log.toString().contains(key) || log.toString().contains(key2) || log.toString().contains(admin2),
                    "no secret in the audit log");
            assertEquals("effective_at[gt]", TestServer.error(as(admin2, "GET", base, "/v1/organization/audit_logs?effective_at%5Bgt%5D=soon", null), 400)
                    .path("param").asText());
        }
    }

    @Test
    void withoutAConfiguredKeyTheFirstStartMakesOneAndShowsItOnce(@TempDir Path dir) {
        String shown;
        try (Main.Running app = Main.start(Settings.of(TestApp.env(dir, "LOOPLINE_SANDBOX", "off")), null)) {
            shown = app.adminKey();
            assertNotNull(shown);
            assertTrue(shown.startsWith("ll-admin-"));
            assertEquals(200, as(shown, "GET", TestApp.base(app), "/v1/organization/projects", null).statusCode());
        }
        try (Main.Running again = Main.start(Settings.of(TestApp.env(dir, "LOOPLINE_SANDBOX", "off")), null)) {
            assertEquals(null, again.adminKey(), "shown once");
            assertEquals(200, as(shown, "GET", TestApp.base(again), "/v1/organization/projects", null).statusCode());
        }
    }
}
