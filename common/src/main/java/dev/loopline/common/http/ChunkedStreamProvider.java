package dev.loopline.common.http;

import io.helidon.common.GenericType;
import io.helidon.common.media.type.MediaType;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.http.spi.Sink;
import io.helidon.webserver.http.spi.SinkProvider;
import io.helidon.webserver.http.spi.SinkProviderContext;

import java.util.function.BiConsumer;

/**
 * Registers {@link ChunkedStream} with Helidon (META-INF/services): {@code res.sink(ChunkedStream.TYPE)}
 * is how a handler gets at its connection's writer through a public API.
 */
public final class ChunkedStreamProvider implements SinkProvider<byte[]> {
    @Override
    public boolean supports(GenericType<? extends Sink<?>> type, ServerRequest request) {
        return ChunkedStream.TYPE.equals(type);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <X extends Sink<byte[]>> X create(SinkProviderContext context) {
        return (X) new ChunkedStream(context);
    }

    /** The pre-4.1.2 form, which gives no access to the connection. */
    @Override
    @SuppressWarnings({"deprecation", "removal"})
    public <X extends Sink<byte[]>> X create(ServerResponse response, BiConsumer<Object, MediaType> eventConsumer, Runnable closeRunnable) {
        throw new UnsupportedOperationException("ChunkedStream needs Helidon 4.1.2 or later");
    }
}
