package dev.loopline.vectorstore;

import dev.loopline.common.errors.ApiException;
import dev.loopline.common.server.Platform;
import dev.loopline.common.server.ServiceModule;
import io.helidon.webserver.http.HttpRouting;

/**
 * vector-store: OpenAI-compatible Files and Vector Stores on Lucene. Not built yet (its own
 * issue): its paths answer 501 in the OpenAI error shape so clients get a clear, honest error.
 */
public final class VectorStoreModule implements ServiceModule {
    public VectorStoreModule(Platform platform) {
    }

    @Override
    public String name() {
        return "vector-store";
    }

    @Override
    public void routing(HttpRouting.Builder routing) {
        for (String path : new String[]{"/v1/files", "/v1/files/*", "/v1/vector_stores", "/v1/vector_stores/*"}) {
            routing.any(path, (req, res) -> {
                throw new ApiException(501, "invalid_request_error",
                        "Files and vector stores are not available on this server yet.", null, "not_implemented");
            });
        }
    }
}
