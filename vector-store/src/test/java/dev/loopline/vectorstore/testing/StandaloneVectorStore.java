package dev.loopline.vectorstore.testing;

import dev.loopline.common.config.Settings;
import dev.loopline.common.server.Platform;
import dev.loopline.common.server.PlatformServer;
import dev.loopline.common.testing.TestServer;
import dev.loopline.vectorstore.VectorStoreModule;
import io.helidon.webserver.WebServer;

import java.util.List;
import java.util.Map;

/** The vector-store service alone in its own JVM, on a given data dir, so a test can kill -9 it. */
public final class StandaloneVectorStore {
    private StandaloneVectorStore() {
    }

    public static void main(String[] args) {
        Platform platform = Platform.create(Settings.of(Map.of("LOOPLINE_DATA_DIR", args[0])));
        if (platform.apiKeys().verify(TestServer.API_KEY).isEmpty()) {
            platform.apiKeys().add(TestServer.API_KEY, "tenant-a", "user-a", "test");
        }
        WebServer server = PlatformServer.start(platform, List.of(new VectorStoreModule(platform)), "127.0.0.1", 0);
        System.out.println("PORT " + server.port());
        System.out.flush();
    }
}
