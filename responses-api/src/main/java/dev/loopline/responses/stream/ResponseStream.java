package dev.loopline.responses.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;
import dev.loopline.common.sse.SseWriter;
import dev.loopline.responses.client.ClientTool;
import dev.loopline.responses.client.ClientTools;
import dev.loopline.responses.hosted.HostedTool;
import dev.loopline.responses.hosted.HostedTools;
import dev.loopline.responses.lifecycle.Ending;
import dev.loopline.responses.loop.Cancellation;
import dev.loopline.responses.loop.LoopEvents;

import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A streamed response as OpenAI's Responses API streams it: {@code event: <type>} with a JSON
 * {@code data:} carrying {@code type} and an increasing {@code sequence_number}. Message text is
 * relayed delta by delta as the model produces it (content_part / output_text events, its
 * citations as output_text.annotation.added before the text's done event); built-in
 * tool calls are announced when they finish (output_item.added, their in_progress / searching or
 * interpreting / completed events, output_item.done), function calls with their arguments, remote
 * MCP work as mcp_list_tools.* and mcp_call_arguments / mcp_call.* events.
 */
public final class ResponseStream implements LoopEvents {
    /** Where the events go: a client's SSE connection, or the stored event log of a background response. */
    public interface Sink {
        /** Throws {@link SseWriter.ClientDisconnectedException} when the reader is gone. */
        void send(int sequence, String type, String json);
    }

    private final Sink sink;
    private final HostedTools tools;
    private final Cancellation cancellation;
    private final boolean disconnectCancels;
    private final ReentrantLock lock = new ReentrantLock();
    private int sequence;
    private boolean clientGone;

    /** A foreground stream: the client's connection; its going away cancels the response. */
    public ResponseStream(SseWriter sse, HostedTools tools) {
        this((seq, type, json) -> sse.event(type, json), 0, new Cancellation(), true, tools);
    }

    /**
     * @param firstSequence     the sequence number of the first event sent here
     * @param cancellation      what cancels the work (and what the work registers its aborts with)
     * @param disconnectCancels whether a reader going away cancels the work (not for background responses)
     * @param tools             the hosted tools, whose items' events they say
     */
    public ResponseStream(Sink sink, int firstSequence, Cancellation cancellation, boolean disconnectCancels, HostedTools tools) {
        this.sink = sink;
        this.tools = tools;
        this.sequence = firstSequence;
        this.cancellation = cancellation;
        this.disconnectCancels = disconnectCancels;
    }

    /** The response was cancelled (the client went away, or a background response was cancelled). */
    @Override
    public boolean cancelled() {
        return cancellation.cancelled();
    }

    @Override
    public void onCancel(Runnable abort) {
        cancellation.onCancel(abort);
    }

    /** The client was seen to leave between events (a foreground stream's response is then cancelled). */
    public void clientGone() {
        lock.lock();
        try {
            clientGone = true;
        } finally {
            lock.unlock();
        }
        if (disconnectCancels) {
            cancellation.cancel();
        }
    }

    /** Sends one event; when the client has left, the response is cancelled and later events are dropped. */
    public void emit(String type, ObjectNode body) {
        lock.lock(); // not a monitor: the write below blocks on the network
        try {
            body.put("type", type).put("sequence_number", sequence++);
            ObjectNode ordered = Json.object().put("type", type).put("sequence_number", body.get("sequence_number").asInt());
            body.fields().forEachRemaining(e -> {
                if (!e.getKey().equals("type") && !e.getKey().equals("sequence_number")) {
                    ordered.set(e.getKey(), e.getValue());
                }
            });
            if (clientGone) {
                return;
            }
            try {
                sink.send(ordered.get("sequence_number").asInt(), type, Json.string(ordered));
            } catch (SseWriter.ClientDisconnectedException e) {
                clientGone = true;
                if (disconnectCancels) {
                    cancellation.cancel();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    public void response(String type, ObjectNode response) {
        ObjectNode b = Json.object();
        b.set("response", response);
        emit(type, b);
    }

    @Override
    public boolean streaming() {
        return true;
    }

    @Override
    public void messageStarted(int outputIndex, ObjectNode item) {
        ObjectNode added = item.deepCopy();
        ObjectNode part = (ObjectNode) added.path("content").get(0);
        part.put("text", "");
        ObjectNode b = Json.object().put("output_index", outputIndex);
        b.set("item", emptyMessage(added));
        emit("response.output_item.added", b);
        ObjectNode p = Json.object().put("item_id", item.get("id").asText()).put("output_index", outputIndex).put("content_index", 0);
        p.set("part", part);
        emit("response.content_part.added", p);
    }

    private static ObjectNode emptyMessage(ObjectNode m) {
        ObjectNode e = m.deepCopy();
        e.put("status", "in_progress");
        e.putArray("content");
        return e;
    }

    @Override
    public void textDelta(int outputIndex, String itemId, String delta) {
        ObjectNode d = Json.object().put("item_id", itemId).put("output_index", outputIndex).put("content_index", 0).put("delta", delta);
        d.putArray("logprobs");
        emit("response.output_text.delta", d);
    }

    /** Each annotation of the text (url and file citations) as {@code annotation.added}, then the text's, part's and item's done events. */
    @Override
    public void messageDone(int outputIndex, ObjectNode item) {
        ObjectNode part = (ObjectNode) item.path("content").get(0);
        String id = item.get("id").asText();
        JsonNode annotations = part.path("annotations");
        for (int i = 0; i < annotations.size(); i++) {
            ObjectNode a = Json.object().put("item_id", id).put("output_index", outputIndex).put("content_index", 0).put("annotation_index", i);
            a.set("annotation", annotations.get(i).deepCopy());
            emit("response.output_text.annotation.added", a);
        }
        ObjectNode done = Json.object().put("item_id", id).put("output_index", outputIndex).put("content_index", 0)
                .put("text", part.path("text").asText());
        done.putArray("logprobs");
        emit("response.output_text.done", done);
        ObjectNode pd = Json.object().put("item_id", id).put("output_index", outputIndex).put("content_index", 0);
        pd.set("part", part.deepCopy());
        emit("response.content_part.done", pd);
        ObjectNode b = Json.object().put("output_index", outputIndex);
        b.set("item", item.deepCopy());
        emit("response.output_item.done", b);
    }

    @Override
    public void reasoningStarted(int outputIndex, ObjectNode item) {
        ObjectNode a = Json.object().put("output_index", outputIndex);
        a.set("item", item.deepCopy());
        emit("response.output_item.added", a);
        ObjectNode p = Json.object().put("item_id", item.get("id").asText()).put("output_index", outputIndex).put("content_index", 0);
        p.putObject("part").put("type", "reasoning_text").put("text", "");
        emit("response.content_part.added", p);
    }

    @Override
    public void reasoningDelta(int outputIndex, String itemId, String delta) {
        emit("response.reasoning_text.delta", Json.object().put("item_id", itemId).put("output_index", outputIndex).put("content_index", 0)
                .put("delta", delta));
    }

    /** The text's done events, then the summary parts' (each part's text as one delta), then the whole item. */
    @Override
    public void reasoningDone(int outputIndex, ObjectNode item) {
        String id = item.get("id").asText();
        String text = item.path("content").path(0).path("text").asText();
        emit("response.reasoning_text.done", Json.object().put("item_id", id).put("output_index", outputIndex).put("content_index", 0)
                .put("text", text));
        ObjectNode pd = Json.object().put("item_id", id).put("output_index", outputIndex).put("content_index", 0);
        pd.putObject("part").put("type", "reasoning_text").put("text", text);
        emit("response.content_part.done", pd);
        JsonNode summary = item.path("summary");
        for (int i = 0; i < summary.size(); i++) {
            String part = summary.get(i).path("text").asText();
            ObjectNode added = Json.object().put("item_id", id).put("output_index", outputIndex).put("summary_index", i);
            added.putObject("part").put("type", "summary_text").put("text", "");
            emit("response.reasoning_summary_part.added", added);
            emit("response.reasoning_summary_text.delta", Json.object().put("item_id", id).put("output_index", outputIndex)
                    .put("summary_index", i).put("delta", part));
            emit("response.reasoning_summary_text.done", Json.object().put("item_id", id).put("output_index", outputIndex)
                    .put("summary_index", i).put("text", part));
            ObjectNode done = Json.object().put("item_id", id).put("output_index", outputIndex).put("summary_index", i);
            done.putObject("part").put("type", "summary_text").put("text", part);
            emit("response.reasoning_summary_part.done", done);
        }
        ObjectNode b = Json.object().put("output_index", outputIndex);
        b.set("item", item.deepCopy());
        emit("response.output_item.done", b);
    }

    @Override
    public void toolItemDone(int outputIndex, ObjectNode item) {
        String type = item.path("type").asText();
        String id = item.path("id").asText();
        ClientTool client = ClientTools.STANDARD.forCall(type).orElse(null);
        HostedTool tool = client != null ? null : tools.forItem(type).orElse(null);
        ObjectNode added = item.deepCopy();
        if (tool != null) {
            tool.asAdded(added);
        } else if (added.has("status")) {
            added.put("status", "in_progress");
        }
        ObjectNode a = Json.object().put("output_index", outputIndex);
        a.set("item", added);
        emit("response.output_item.added", a);
        List<HostedTool.ProgressEvent> progress = client != null ? client.progress(item) : tool != null ? tool.progress(item) : List.of();
        for (HostedTool.ProgressEvent e : progress) {
            ObjectNode body = Json.object().put("output_index", outputIndex).put("item_id", id);
            body.setAll(e.fields());
            emit(e.type(), body);
        }
        ObjectNode b = Json.object().put("output_index", outputIndex);
        b.set("item", item.deepCopy());
        emit("response.output_item.done", b);
    }

    /**
     * The stream's last events for how the response ended: {@code response.completed} (or
     * {@code .incomplete}); an {@code error} event and {@code response.failed}; an {@code error}
     * event alone for a request the model service refused (nothing was stored); nothing when cancelled.
     */
    public void ended(Ending ending) {
        switch (ending) {
            case Ending.Completed c -> response("incomplete".equals(c.response().path("status").asText()) ? "response.incomplete"
                    : "response.completed", c.response());
            case Ending.Failed f -> {
                emit("error", f.error().toEvent());
                response("response.failed", f.response());
            }
            case Ending.Rejected r -> {
                ObjectNode error = Json.object().put("code", r.error().code() == null ? r.error().type() : r.error().code())
                        .put("message", r.error().getMessage());
                if (r.error().param() == null) {
                    error.putNull("param");
                } else {
                    error.put("param", r.error().param());
                }
                emit("error", error);
            }
            case Ending.Cancelled c -> {
                // the reader left, or a cancel request: nothing more to say
            }
        }
    }
}
