package dev.loopline.common.testing;

import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.UUID;

/**
 * The databases tests run against. PostgreSQL comes from {@code LOOPLINE_TEST_POSTGRES_URL}
 * (each test gets a fresh schema in it), or from Testcontainers when that is unset and Docker
 * answers. With neither, the test is skipped, except under {@code CI=true}, where a skipped
 * PostgreSQL test is a failure.
 */
public final class TestDatabases {
    private static PostgreSQLContainer container;

    private TestDatabases() {
    }

    /** An isolated PostgreSQL schema; {@link Schema#close()} drops it. */
    public record Schema(String url, String user, String password, String name, String adminUrl) implements AutoCloseable {
        /** The LOOPLINE_DB_* variables that point loopline at this schema. */
        public Map<String, String> env() {
            return Map.of("LOOPLINE_DB_URL", url, "LOOPLINE_DB_USER", user, "LOOPLINE_DB_PASSWORD", password);
        }

        @Override
        public void close() {
            try (Connection c = DriverManager.getConnection(adminUrl, user, password); Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + name + " CASCADE");
            } catch (SQLException e) {
                throw new IllegalStateException("cannot drop test schema " + name, e);
            }
        }
    }

    public static Schema postgres() {
        String url = System.getenv("LOOPLINE_TEST_POSTGRES_URL");
        String user = System.getenv().getOrDefault("LOOPLINE_TEST_POSTGRES_USER", "postgres");
        String password = System.getenv().getOrDefault("LOOPLINE_TEST_POSTGRES_PASSWORD", "");
        if (url == null || url.isBlank()) {
            if (dockerAvailable()) {
                synchronized (TestDatabases.class) {
                    if (container == null) {
                        container = new PostgreSQLContainer("postgres:16-alpine");
                        container.start();
                    }
                }
                url = container.getJdbcUrl();
                user = container.getUsername();
                password = container.getPassword();
            } else {
                String why = "PostgreSQL tests need LOOPLINE_TEST_POSTGRES_URL (e.g. jdbc:postgresql://127.0.0.1:5432/test) or Docker for Testcontainers";
                if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                    throw new AssertionError(why + "; under CI=true a skipped PostgreSQL test is a failure");
                }
                Assumptions.abort(why);
            }
        }
        String schema = "loopline_t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot reach PostgreSQL at " + url + ": " + e.getMessage(), e);
        }
        String sep = url.contains("?") ? "&" : "?";
        return new Schema(url + sep + "currentSchema=" + schema, user, password, schema, url);
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (Throwable t) {
            return false;
        }
    }
}
