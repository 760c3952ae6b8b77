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
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * background: true — polling, POST /v1/responses/{id}/cancel, streaming with resume
 * (GET ?stream=true&starting_after=N), and the database queue across a restart.
 */
class BackgroundResponsesTest {
    static final String KEY = TestApp.KEY;

    @Test
    void runsInTheBackgroundAndCanBeCancelled(@TempDir Path dir) throws Exception {
        Map<String, String> env = TestApp.env(dir, "LOOPLINE_SANDBOX_POOL", "1");
        try (Main.Running app = Main.start(Settings.of(env), null)) {
            String base = "http://127.0.0.1:" + app.port();
            JsonNode queued = Json.parse(TestApp.post(base, KEY, """
                    {"model":"loopline-sim","input":"What is the capital of France?","background":true,"tools":[{"type":"web_search"}]}""").body());
            assertEquals("queued", queued.path("status").asText(), queued.toString());
            assertTrue(queued.path("background").asBoolean());
            JsonNode done = TestApp.awaitStatus(base, queued.path("id").asText(), "completed");
            assertTrue(done.path("output_text").asText().contains("Paris is the capital"), done.toString());
            assertEquals("web_search_call", done.path("output").get(0).path("type").asText());

            // A long tool call; cancelled while it runs, the response stays cancelled.
            JsonNode slow = Json.parse(TestApp.post(base, KEY, """
                    {"model":"loopline-sim","input":"Run this:\\n```python\\nimport time\\ntime.sleep(2)\\nprint('late')\\n```","background":true,
                     "tools":[{"type":"code_interpreter","container":{"type":"auto"}}]}""").body());
            String id = slow.path("id").asText();
            var db = app.platform().database();
            await("a worker runs " + id).atMost(Duration.ofSeconds(10)).until(() ->
                    TestApp.count(db, "SELECT COUNT(*) AS n FROM response_jobs WHERE response_id = ? AND state = 'running'", id) == 1);
            JsonNode cancelled = Json.parse(TestApp.send(base, "/v1/responses/" + id + "/cancel", "").body());
            assertEquals("cancelled", cancelled.path("status").asText(), cancelled.toString());
            // The worker lets go of the job only after its loop has ended and tried to settle the response.
            await("the worker ends " + id).atMost(Duration.ofSeconds(10)).until(() ->
                    TestApp.count(db, "SELECT COUNT(*) AS n FROM response_jobs WHERE response_id = ?", id) == 0);
            JsonNode later = Json.parse(TestApp.get(base, KEY, "/v1/responses/" + id).body());
            assertEquals("cancelled", later.path("status").asText(), "the finished loop must not overwrite a cancellation: " + later);

            // Cancelling a finished one returns it unchanged; a foreground one cannot be cancelled.
            assertEquals("completed", Json.parse(TestApp.send(base, "/v1/responses/" + done.path("id").asText() + "/cancel", "").body())
                    .path("status").asText());
            JsonNode fg = Json.parse(TestApp.post(base, KEY, "{\"model\":\"loopline-sim\",\"input\":\"hi\"}").body());
            TestServer.error(TestApp.send(base, "/v1/responses/" + fg.path("id").asText() + "/cancel", ""), 400);
            TestServer.error(TestApp.post(base, KEY, "{\"model\":\"loopline-sim\",\"input\":\"hi\",\"background\":true,\"store\":false}"), 400);

            // A background response whose input references a stored web_search_call item (resolved at create time).
            String searchId = done.path("output").get(0).path("id").asText();
            JsonNode referencing = Json.parse(TestApp.post(base, KEY, """
                    {"model":"loopline-sim","background":true,"input":[{"type":"item_reference","id":"%s"},{"role":"user","content":"Thanks"}]}"""
                    .formatted(searchId)).body());
            assertEquals("completed", TestApp.awaitStatus(base, referencing.path("id").asText(), "completed").path("status").asText());

            // background + stream: the POST follows the stored events; a reader can resume after any of them.
            var streamed = TestApp.post(base, KEY, """
                    {"model":"loopline-sim","input":"What is the capital of France?","background":true,"stream":true,"tools":[{"type":"web_search"}]}""");
            List<TestApp.Event> events = TestApp.events(streamed.body());
            for (int i = 0; i < events.size(); i++) {
                assertEquals(i, events.get(i).data().get("sequence_number").asInt(), "sequence numbers count up from 0: " + streamed.body());
            }
            assertEquals("response.created", events.getFirst().name());
            assertEquals("queued", events.getFirst().data().path("response").path("status").asText());
            assertEquals("response.in_progress", events.get(1).name());
            assertEquals("response.completed", events.getLast().name());
            String sid = events.getFirst().data().path("response").path("id").asText();
            var resumed = TestApp.get(base, KEY, "/v1/responses/" + sid + "?stream=true&starting_after=2");
            List<TestApp.Event> rest = TestApp.events(resumed.body());
            assertEquals(events.size() - 3, rest.size(), resumed.body());
            assertEquals(3, rest.getFirst().data().get("sequence_number").asInt());
            assertEquals(events.getLast().data().toString(), rest.getLast().data().toString(), "the same events, replayed");
            assertEquals("starting_after", TestServer.error(TestApp.get(base, KEY, "/v1/responses/" + sid + "?stream=true&starting_after=x"), 400)
                    .path("param").asText());
            TestServer.error(TestApp.get(base, KEY, "/v1/responses/" + done.path("id").asText() + "?stream=true"), 400);
            TestServer.error(TestApp.HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/responses/" + sid + "?stream=true"))
                    .header("Authorization", "Bearer " + TestServer.OTHER_TENANT_KEY).build(), HttpResponse.BodyHandlers.ofString()), 401);
        }
    }

    /**
     * A resumed stream always ends with the response's final event: the probe resumed a background
     * response failed by a reaper after a crash (its events stop short) and the stream just closed.
     */
    @Test
    void aResumedStreamEndsWithTheFinalEventEvenWhenNoneWasStored(@TempDir Path dir) throws Exception {
        try (Main.Running app = Main.start(Settings.of(TestApp.env(dir, "LOOPLINE_SANDBOX", "off")), null)) {
            String base = TestApp.base(app);
            var streamed = TestApp.post(base, KEY, "{\"model\":\"loopline-sim\",\"input\":\"hi\",\"background\":true,\"stream\":true}");
            String id = TestApp.events(streamed.body()).getFirst().data().path("response").path("id").asText();
            var db = app.platform().database();
            // What a crash leaves: the events stop before the end, and the reaper wrote the failure.
            db.client().execute().delete("DELETE FROM response_events WHERE response_id = ? AND seq > 1", id);
            db.client().execute().update("UPDATE responses SET status = 'failed', body = ? WHERE id = ?", Json.string(Json.parse(
                    TestApp.get(base, "/v1/responses/" + id).body()).deepCopy()).replace("\"status\":\"completed\"", "\"status\":\"failed\"")
                    .replace("\"error\":null", "\"error\":{\"code\":\"server_error\",\"message\":\"The server running this response stopped\"}"), id);
            List<TestApp.Event> resumed = TestApp.events(TestApp.get(base, "/v1/responses/" + id + "?stream=true&starting_after=0").body());
            assertEquals("response.in_progress", resumed.getFirst().name());
            assertEquals("error", resumed.get(resumed.size() - 2).name(), resumed.toString());
            assertEquals("response.failed", resumed.getLast().name());
            assertEquals("failed", resumed.getLast().data().path("response").path("status").asText());
            assertEquals(2, resumed.get(resumed.size() - 2).data().path("sequence_number").asInt(), "numbered on from the last stored event");
            assertEquals(3, resumed.getLast().data().path("sequence_number").asInt());
        }
    }

    /** Queued work survives a restart and runs then; work running at shutdown is failed at once, never left in progress. */
    @Test
    void theQueueOutlivesTheProcess(@TempDir Path dir) throws Exception {
        Map<String, String> env = TestApp.env(dir, "LOOPLINE_SANDBOX_POOL", "1");
        String queuedId;
        String runningId;
        env.put("LOOPLINE_BACKGROUND_WORKERS", "0"); // this process takes no jobs: they stay queued
        try (Main.Running app = Main.start(Settings.of(env), null)) {
            String base = "http://127.0.0.1:" + app.port();
            queuedId = Json.parse(TestApp.post(base, KEY, """
                    {"model":"loopline-sim","input":"What is the capital of France?","background":true,"tools":[{"type":"web_search"}]}""").body())
                    .path("id").asText();
            // No worker slots: nothing here can ever claim it.
            assertEquals("queued", Json.parse(TestApp.get(base, KEY, "/v1/responses/" + queuedId).body()).path("status").asText());
        }
        env.put("LOOPLINE_BACKGROUND_WORKERS", "4");
        try (Main.Running app = Main.start(Settings.of(env), null)) {
            String base = "http://127.0.0.1:" + app.port();
            JsonNode done = TestApp.awaitStatus(base, queuedId, "completed");
            assertTrue(done.path("output_text").asText().contains("Paris is the capital"), "run after the restart, as its user: " + done);
            runningId = Json.parse(TestApp.post(base, KEY, """
                    {"model":"loopline-sim","input":"Run this:\\n```python\\nimport time\\ntime.sleep(8)\\nprint('late')\\n```","background":true,
                     "tools":[{"type":"code_interpreter","container":{"type":"auto"}}]}""").body()).path("id").asText();
            TestApp.awaitStatus(base, runningId, "in_progress");
        }
        env.put("LOOPLINE_BACKGROUND_STALE_AFTER", "1s");
        try (Main.Running app = Main.start(Settings.of(env), null)) {
            String base = "http://127.0.0.1:" + app.port();
            JsonNode failed = Json.parse(TestApp.get(base, KEY, "/v1/responses/" + runningId).body());
            assertEquals("failed", failed.path("status").asText(), failed.toString());
            assertTrue(failed.path("error").path("message").asText().contains("shut down"), failed.toString());

            // A process killed with -9 cannot say so: its jobs' heartbeats go stale, and another process takes them over.
            // One that ran a call with outside effects (code) is failed, not run again…
            String orphan = Json.parse(TestApp.post(base, KEY, "{\"model\":\"loopline-sim\",\"input\":\"hi\"}").body()).path("id").asText();
            var db = app.platform().database();
            db.client().execute().update("UPDATE responses SET status = 'in_progress' WHERE id = ?", orphan);
            db.client().execute().insert("INSERT INTO response_jobs (response_id, tenant_id, user_id, state, owner, heartbeat_at, created_at, "
                    + "has_secrets, request, side_effect) SELECT id, tenant_id, user_id, 'running', 'node_killed', 0, 0, FALSE, '{}', "
                    + "'code_interpreter' FROM responses WHERE id = ?", orphan);
            JsonNode reaped = TestApp.awaitStatus(base, orphan, "failed");
            assertTrue(reaped.path("error").path("message").asText().contains("stopped before it finished"), reaped.toString());
            assertTrue(reaped.path("error").path("message").asText().contains("not run again"), reaped.toString());
            // …one that only asked the model and searched is run again here, to completion.
            String safe = Json.parse(TestApp.post(base, KEY, "{\"model\":\"loopline-sim\",\"input\":\"What is the capital of France?\","
                    + "\"tools\":[{\"type\":\"web_search\"}]}").body()).path("id").asText();
            db.client().execute().update("UPDATE responses SET status = 'in_progress' WHERE id = ?", safe);
            db.client().execute().delete("DELETE FROM response_items WHERE response_id = ? AND direction = 'output'", safe); // as if mid-run
            db.client().execute().insert("INSERT INTO response_jobs (response_id, tenant_id, user_id, state, owner, heartbeat_at, created_at, "
                    + "has_secrets, request) SELECT id, tenant_id, user_id, 'running', 'node_killed', 0, 0, FALSE, ? FROM responses WHERE id = ?",
                    "{\"model\":\"loopline-sim\",\"input\":\"What is the capital of France?\",\"tools\":[{\"type\":\"web_search\"}],"
                            + "\"background\":true}", safe);
            JsonNode resumed = TestApp.awaitStatus(base, safe, "completed");
            assertTrue(resumed.path("output_text").asText().contains("Paris is the capital"), resumed.toString());
        }
    }
}
