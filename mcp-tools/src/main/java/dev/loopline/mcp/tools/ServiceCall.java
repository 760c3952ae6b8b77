package dev.loopline.mcp.tools;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.json.Json;
import okhttp3.Call;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

import java.io.IOException;

/**
 * A JSON POST from a tool to another loopline service (vector-store, sandbox) with the caller's
 * credentials, cancellable through the tool's context. Errors come back as {@link Tool.ToolFailure}
 * with the service's own message, so the model and the user see why.
 */
public final class ServiceCall {
    private static final MediaType JSON = MediaType.get("application/json");

    private ServiceCall() {
    }

    public static JsonNode post(OkHttpClient http, String url, JsonNode body, ToolContext ctx, String what) throws Tool.ToolFailure {
        Request.Builder req = new Request.Builder().url(url).post(RequestBody.create(Json.bytes(body), JSON));
        if (ctx.authorization() != null) {
            req.header("Authorization", ctx.authorization());
        }
        Call call = http.newCall(req.build());
        ctx.onCancel(call::cancel);
        try (Response res = call.execute()) {
            if (ctx.cancelled()) {
                // The service may answer before our cancel reaches the call (a sandbox run whose
                // process the cancellation killed): the caller asked to stop, so say that.
                throw new Tool.ToolFailure(what + " was cancelled.");
            }
            String text = res.body().string();
            JsonNode json = text.isEmpty() ? Json.object() : Json.parse(text);
            if (!res.isSuccessful()) {
                String message = json.path("error").path("message").asText("HTTP " + res.code());
                if (res.code() == 401) {
                    message += " (this tool acts with the MCP caller's credentials; connect with an API key)";
                }
                throw new Tool.ToolFailure(what + " failed: " + message);
            }
            return json;
        } catch (IOException e) {
            if (ctx.cancelled()) {
                throw new Tool.ToolFailure(what + " was cancelled.");
            }
            throw new Tool.ToolFailure(what + " is unreachable: " + e.getMessage());
        } catch (RuntimeException e) {
            throw new Tool.ToolFailure(what + " sent an unreadable answer.");
        }
    }
}
