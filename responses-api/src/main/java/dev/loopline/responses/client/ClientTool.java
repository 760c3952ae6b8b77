package dev.loopline.responses.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.responses.hosted.HostedTool;
import dev.loopline.responses.hosted.ToolCall;

import java.util.List;

/**
 * One kind of tool the client runs (function, custom, local_shell, shell, apply_patch): the model
 * is offered it as a function, and a call of it ends the response with a call item the client
 * executes, answering with an output item in the next request. Everything loopline knows about
 * the kind is here, as {@link HostedTool} holds it for the tools loopline runs itself: its request
 * entry, the function the model sees, the call item made from the model's call, the call and
 * output items a client sends back (checked, and replayed to the model), and the call's streaming
 * events. Registered in {@link ClientTools}; {@link NamespaceTool} groups functions and custom
 * tools under a name.
 */
public interface ClientTool {
    /** The request tool type ({@code tools[i].type}). */
    String type();

    /** The output item type of its calls ({@code function_call}…). */
    String callType();

    /** The input item type of a call's result ({@code function_call_output}…). */
    String outputType();

    /**
     * Checks a request entry, throwing a 400 that names the field.
     *
     * @return the entry as kept with the request
     */
    JsonNode parse(JsonNode entry, String where);

    /** What the model is offered for an entry: one function per tool (a namespace offers several). */
    List<ClientOffer> offers(JsonNode entry);

    /**
     * The call item for the model's call of {@code offer}.
     *
     * @throws BadCall when the model's arguments do not make a call of this kind (the model is told and tries again)
     */
    ObjectNode callItem(ClientOffer offer, ToolCall call);

    /** Checks a call item a client sends back ({@code input[i]}); returns it as kept. */
    ObjectNode parseCall(JsonNode item, String where);

    /** Checks an output item a client sends ({@code input[i]}); returns it as kept. */
    ObjectNode parseOutput(JsonNode item, String where);

    /** A call item as the model made it: the function it called (by the name it was offered under) and the arguments. */
    ModelCall asModelCall(JsonNode callItem);

    /** An output item as the model reads it: the call it answers and the text. */
    ModelResult asModelResult(JsonNode outputItem);

    /** The streaming events of a finished call item, between {@code output_item.added} and {@code .done}. */
    List<HostedTool.ProgressEvent> progress(JsonNode callItem);

    /** A call as the model sees it in its context. */
    record ModelCall(String callId, String function, String arguments) {
    }

    /** A result as the model reads it. */
    record ModelResult(String callId, String text) {
    }

    /** The model's arguments do not make a call of this kind; the message tells the model why. */
    final class BadCall extends RuntimeException {
        public BadCall(String message) {
            super(message, null, false, false);
        }
    }
}
