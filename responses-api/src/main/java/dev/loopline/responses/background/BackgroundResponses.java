package dev.loopline.responses.background;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.auth.DelegationTokens;
import dev.loopline.common.auth.Principal;
import dev.loopline.common.db.Database;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.http.JsonBodies;
import dev.loopline.common.http.RequestContext;
import dev.loopline.common.ids.Ids;
import dev.loopline.common.json.Json;
import dev.loopline.common.sse.SseWriter;
import dev.loopline.responses.api.CreateRequest;
import dev.loopline.responses.api.ResponseError;
import dev.loopline.responses.hosted.HostedTools;
import dev.loopline.responses.lifecycle.Ending;
import dev.loopline.responses.lifecycle.Prepared;
import dev.loopline.responses.lifecycle.ResponseLifecycle;
import dev.loopline.responses.lifecycle.Settlement;
import dev.loopline.responses.loop.Cancellation;
import dev.loopline.responses.loop.LoopEvents;
import dev.loopline.responses.loop.ModelFailure;
import dev.loopline.responses.store.ResponseStore;
import dev.loopline.responses.store.ToolExecutionLog;
import dev.loopline.responses.stream.ResponseStream;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Background responses ({@code background: true}): enqueued with their queued response, run by
 * {@link Workers} from the {@link JobQueue} (here or on another replica) through the same
 * {@link ResponseLifecycle} as any response, as their user with a delegation token, and, when
 * created with {@code stream: true}, their events stored in the {@link EventLog} for the creating
 * request and for {@code GET …?stream=true&starting_after=N}.
 */
public final class BackgroundResponses implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(BackgroundResponses.class.getName());
    private static final Set<String> FINAL_EVENTS = Set.of("response.completed", "response.incomplete", "response.failed");

    private final ResponseStore store;
    private final EventLog eventLog;
    private final JobQueue queue;
    private final Workers workers;
    private final DelegationTokens delegation;
    private final Duration tokenLifetime;
    private final ResponseLifecycle lifecycle;
    private final HostedTools hosted;
    /**
     * Full requests (with MCP credentials) of background responses created in this process, until
     * a worker here takes them (their jobs are pinned here); dropped after the token lifetime.
     */
    private final ConcurrentHashMap<String, Held> withCredentials = new ConcurrentHashMap<>();

    private record Held(CreateRequest request, long atNanos) {
    }

    /**
     * @param concurrency   background responses run at once by this process
     * @param staleAfter    a running job without a heartbeat for this long is failed
     * @param tokenLifetime how long a job's delegation token lives (the response deadline and a margin)
     */
    public BackgroundResponses(Database db, ResponseStore store, DelegationTokens delegation, int concurrency, Duration staleAfter,
                               Duration tokenLifetime, ResponseLifecycle lifecycle, HostedTools hosted) {
        this.store = store;
        this.eventLog = new EventLog(db);
        this.delegation = delegation;
        this.tokenLifetime = tokenLifetime;
        this.lifecycle = lifecycle;
        this.hosted = hosted;
        this.queue = new JobQueue(db, Ids.next("node"));
        this.workers = new Workers(queue, concurrency, Duration.ofSeconds(1), staleAfter, tokenLifetime, this::run);
    }

    public void start() {
        workers.start();
    }

    /** Cancels the response's work if it runs in this process (elsewhere, its replica notices within its heartbeat). */
    public void cancel(String responseId) {
        workers.cancel(responseId);
    }

    /** Whether the response was created with background and stream, so that its events can be read again. */
    public boolean hasEvents(String responseId) {
        return eventLog.any(responseId);
    }

    /** Running responses are failed and stopped; queued ones stay for the next process. */
    @Override
    public void close() {
        workers.close();
    }

    /**
     * {@code background: true}: the response is stored {@code queued} together with its job
     * ({@link JobQueue}), in one transaction, and returned at once; a worker (here or on another
     * replica) runs it and writes the final state unless it was cancelled meanwhile. With
     * {@code stream: true} the events are stored as they happen and this request follows them, as
     * {@code GET /v1/responses/{id}?stream=true} does; the client leaving does not stop the work.
     * MCP credentials are not stored: they stay in this process's memory for the job, which is
     * pinned to this process; if it stops before running the job, the job fails saying so.
     *
     * @param body the request as sent (it parses again the same way; the input the job uses is the resolved one stored with the response)
     */
    public void enqueue(ServerRequest req, ServerResponse res, Prepared p, ObjectNode body) {
        CreateRequest r = p.request();
        String id = p.id();
        ObjectNode queued = p.begun("queued").toJson();
        ObjectNode jobRequest = body.deepCopy();
        jobRequest.set("tools", r.echoedTools());
        long now = System.nanoTime();
        withCredentials.values().removeIf(h -> now - h.atNanos() > tokenLifetime.toNanos());
        if (r.holdsSecrets()) {
            withCredentials.put(id, new Held(r, now));
        }
        JobQueue.Job job = new JobQueue.Job(id, p.who().tenantId(), p.who().userId(), r.holdsSecrets(), jobRequest);
        store.save(p.who().tenantId(), p.who().userId(), queued, p.input(), Json.array(), tx -> {
            queue.enqueue(tx, job);
            if (r.stream()) {
                EventLog.append(tx, id, 0, "response.created", createdEvent(queued));
            }
        });
        workers.wake();
        if (r.stream()) {
            follow(req, res, p.who(), id, -1);
        } else {
            JsonBodies.send(res, queued);
        }
    }

    private static String createdEvent(ObjectNode response) {
        ObjectNode e = Json.object().put("type", "response.created").put("sequence_number", 0);
        e.set("response", response);
        return Json.string(e);
    }

    /** A worker runs one background response, acting for its user with a delegation token. */
    private void run(JobQueue.Job job, Cancellation cancellation) {
        Principal who = new Principal(job.tenantId(), job.userId(), "delegated");
        String id = job.responseId();
        ObjectNode stored = store.get(who.tenantId(), id).orElse(null);
        if (stored == null || !"in_progress".equals(stored.path("status").asText())) {
            withCredentials.remove(id);
            return; // deleted or cancelled while queued
        }
        Held kept = withCredentials.remove(id);
        CreateRequest r = kept != null ? kept.request() : CreateRequest.parse(job.request(), hosted);
        ResponseStream events = r.stream() ? new ResponseStream((seq, type, json) -> eventLog.append(id, seq, type, json), eventLog.next(id),
                cancellation, false, hosted) : null;
        LoopEvents loopEvents = events != null ? events : LoopEvents.cancelledBy(cancellation);
        RequestContext.runWith(new RequestContext.State(id, who), () -> {
            try {
                Ending end = runJob(job, r, kept != null, stored, loopEvents, events, cancellation);
                if (events != null) {
                    events.ended(end);
                }
            } finally {
                eventLog.forget(id);
            }
        });
    }

    private Ending runJob(JobQueue.Job job, CreateRequest r, boolean credentialsHere, ObjectNode stored, LoopEvents loopEvents,
                          ResponseStream events, Cancellation cancellation) {
        Principal who = new Principal(job.tenantId(), job.userId(), "delegated");
        String id = job.responseId();
        long createdAt = stored.path("created_at").asLong();
        ArrayNode input = Json.array();
        store.items(id, "input").forEach(input::add);
        Prepared queued = new Prepared(who, r, id, createdAt, List.of(), input);
        Settlement settlement = lifecycle.background(queued);
        if (!credentialsHere && job.hasSecrets()) {
            return lifecycle.fail(queued, settlement, ResponseError.upstream("This response's MCP server credentials are not stored, and "
                    + "the server that received them stopped before running it; create the response again."));
        }
        try {
            if (events != null) {
                events.response("response.in_progress", stored);
            }
            Prepared p = lifecycle.resume(who, r, id, createdAt);
            String bearer = "Bearer " + delegation.mint(who, tokenLifetime);
            ToolExecutionLog rows = store.toolLog(who.tenantId(), id);
            // A call with outside effects is noted on the job before it runs: after a crash the job is failed, not re-run.
            ToolExecutionLog log = new ToolExecutionLog() {
                @Override
                public void record(ToolExecution execution) {
                    rows.record(execution);
                }

                @Override
                public void beforeSideEffect(String tool) {
                    if (!queue.sideEffect(id, tool)) {
                        // Another server took the job over: this run stops without the call and writes nothing.
                        cancellation.cancel();
                        throw new ModelFailure("The response was taken over by another server.", false);
                    }
                }
            };
            return lifecycle.execute(p, lifecycle.context(p, bearer), bearer, loopEvents, log, settlement);
        } catch (ApiException e) {
            // What it continues from (a conversation, a file) is gone since the response was queued.
            return lifecycle.fail(queued, settlement, ResponseError.refused(e));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "background response " + id + " failed", e);
            return lifecycle.fail(queued, settlement, ResponseError.internal(id));
        }
    }

    /**
     * The final events of a settled response whose stream has none, numbered after {@code last}:
     * {@code error} and {@code response.failed} for a failed one, {@code response.completed} or
     * {@code response.incomplete} otherwise. Not stored: every reader derives the same ones.
     */
    private List<EventLog.Event> finalEvents(Principal who, String id, int last) {
        ObjectNode response = store.get(who.tenantId(), id).orElse(null);
        if (response == null) {
            return List.of();
        }
        String status = response.path("status").asText();
        List<EventLog.Event> events = new ArrayList<>();
        int seq = last;
        if (status.equals("failed")) {
            JsonNode error = response.path("error");
            ObjectNode e = Json.object().put("type", "error").put("sequence_number", ++seq)
                    .put("code", error.path("code").asText("server_error")).put("message", error.path("message").asText("The response failed."));
            e.putNull("param");
            events.add(new EventLog.Event(seq, "error", Json.string(e)));
        }
        String type = switch (status) {
            case "failed" -> "response.failed";
            case "incomplete" -> "response.incomplete";
            default -> "response.completed";
        };
        ObjectNode f = Json.object().put("type", type).put("sequence_number", ++seq);
        f.set("response", response);
        events.add(new EventLog.Event(seq, type, Json.string(f)));
        return events;
    }

    /**
     * Sends a background response's stored events after {@code startingAfter}, then follows new
     * ones until a final event (response.completed / incomplete / failed) or a final status
     * (cancelled) ends it. The reader leaving ends only the reading.
     */
    public void follow(ServerRequest req, ServerResponse res, Principal who, String id, int startingAfter) {
        // Read before the stream starts: a database failure here still gets a proper error response.
        List<EventLog.Event> batch = eventLog.after(id, startingAfter);
        SseWriter sse = SseWriter.start(req, res);
        int last = startingAfter;
        long finalSince = 0;
        try {
            while (true) {
                boolean ended = false;
                for (EventLog.Event e : batch) {
                    sse.event(e.type(), e.json());
                    last = e.seq();
                    ended |= FINAL_EVENTS.contains(e.type());
                }
                if (ended) {
                    return;
                }
                String status = store.status(who.tenantId(), id).orElse("deleted");
                if (!status.equals("queued") && !status.equals("in_progress")) {
                    // Finished: its final event follows the status at once, unless it was cancelled or lost.
                    if (status.equals("cancelled") || status.equals("deleted")) {
                        return;
                    }
                    finalSince = finalSince == 0 ? System.currentTimeMillis() : finalSince;
                    if (System.currentTimeMillis() - finalSince > 3000) {
                        // Settled without its final event (its server died, and a reaper failed it):
                        // the stream still ends the way every stream ends, from the stored response.
                        finalEvents(who, id, last).forEach(e -> sse.event(e.type(), e.json()));
                        return;
                    }
                }
                eventLog.await(id, Duration.ofMillis(200));
                batch = eventLog.after(id, last);
            }
        } catch (SseWriter.ClientDisconnectedException e) {
            // the reader left; the response goes on
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            sse.close();
        }
    }

}
