package dev.loopline.vectorstore.index.opensearch;

import dev.loopline.common.http.OutboundHttp;
import dev.loopline.vectorstore.index.VectorIndex;
import dev.loopline.vectorstore.index.VectorIndexContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The backend contract on a real OpenSearch: {@code LOOPLINE_OPENSEARCH_URL}, else a Testcontainers
 * OpenSearch when Docker answers, else skipped with the reason (no OpenSearch on this machine).
 */
class OpenSearchIndexTest extends VectorIndexContract {
    private static GenericContainer<?> container;
    private static String url;
    private static OutboundHttp http;

    @BeforeAll
    static void find() {
        url = System.getenv("LOOPLINE_OPENSEARCH_URL");
        if (url == null || url.isBlank()) {
            boolean docker;
            try {
                docker = DockerClientFactory.instance().isDockerAvailable();
            } catch (Throwable t) {
                docker = false;
            }
            Assumptions.assumeTrue(docker, "needs LOOPLINE_OPENSEARCH_URL or Docker for a Testcontainers OpenSearch");
            container = new GenericContainer<>("opensearchproject/opensearch:2.19.1")
                    .withEnv("discovery.type", "single-node")
                    .withEnv("DISABLE_SECURITY_PLUGIN", "true")
                    .withEnv("OPENSEARCH_JAVA_OPTS", "-Xms512m -Xmx512m")
                    .withExposedPorts(9200)
                    .waitingFor(Wait.forHttp("/_cluster/health").forPort(9200).withStartupTimeout(Duration.ofMinutes(3)));
            container.start();
            url = "http://" + container.getHost() + ":" + container.getMappedPort(9200);
        }
        http = new OutboundHttp(Duration.ofSeconds(5), Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() {
        if (http != null) {
            http.close();
        }
        if (container != null) {
            container.stop();
        }
    }

    @Override
    protected VectorIndex open(Path dir) {
        // The minimal distribution the test command fetches has no analysis-common module.
        return new OpenSearchIndex(http.client(), url, "loopline-test-", 32,
                System.getenv().getOrDefault("LOOPLINE_OPENSEARCH_TEXT_ANALYZER", "standard"));
    }
}
