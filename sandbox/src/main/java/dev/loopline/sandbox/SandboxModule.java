package dev.loopline.sandbox;

import dev.loopline.common.errors.ApiException;
import dev.loopline.common.server.Platform;
import dev.loopline.common.server.ServiceModule;
import io.helidon.webserver.http.HttpRouting;

/**
 * sandbox: isolated Python execution. Not built yet (its own issue): the path answers 501 in the
 * OpenAI error shape rather than running anything without isolation.
 */
public final class SandboxModule implements ServiceModule {
    public SandboxModule(Platform platform) {
    }

    @Override
    public String name() {
        return "sandbox";
    }

    @Override
    public void routing(HttpRouting.Builder routing) {
        routing.any("/v1/sandbox/run", (req, res) -> {
            throw new ApiException(501, "invalid_request_error",
                    "Code execution is not available on this server yet.", null, "not_implemented");
        });
    }
}
