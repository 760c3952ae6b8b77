package dev.loopline.common.db;

import dev.loopline.common.config.Settings;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.DbRow;
import io.helidon.dbclient.DbTransaction;
import org.flywaydb.core.Flyway;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The relational store: an H2 file database under the data dir by default, PostgreSQL when
 * {@code LOOPLINE_DB_URL} is a {@code jdbc:postgresql:} URL. H2 runs in PostgreSQL mode and the
 * Flyway migrations in {@code db/migration} are written in SQL both accept, so one set serves both.
 */
public final class Database implements AutoCloseable {
    private final DbClient client;
    private final String url;
    private final H2Compaction compaction;

    private Database(DbClient client, String url, H2Compaction compaction) {
        this.client = client;
        this.url = url;
        this.compaction = compaction;
    }

    public static Database open(Settings settings, Path dataDir) {
        String url = settings.optional("LOOPLINE_DB_URL", "loopline.db.url")
                .orElseGet(() -> defaultH2Url(dataDir));
        String user = settings.string("LOOPLINE_DB_USER", "loopline.db.user", url.startsWith("jdbc:h2:") ? "sa" : "postgres");
        String password = settings.string("LOOPLINE_DB_PASSWORD", "loopline.db.password", "");
        int poolSize = settings.integer("LOOPLINE_DB_POOL_SIZE", "loopline.db.pool-size", 16);
        if (!url.startsWith("jdbc:h2:") && !url.startsWith("jdbc:postgresql:")) {
            throw new IllegalStateException("LOOPLINE_DB_URL must be a jdbc:postgresql: or jdbc:h2: URL");
        }
        migrate(url, user, password);
        Map<String, String> cfg = new HashMap<>();
        cfg.put("db.source", "jdbc");
        cfg.put("db.connection.url", url);
        cfg.put("db.connection.username", user);
        cfg.put("db.connection.password", password);
        cfg.put("db.connection.maximumPoolSize", Integer.toString(poolSize));
        // Connections are opened as load needs them and idle ones closed: replicas x pool size must
        // fit PostgreSQL's max_connections only under load, not while a replica idles.
        cfg.put("db.connection.minimumIdle", Integer.toString(Math.min(2, poolSize)));
        // Strings are bound with setString at any length. DbClient's default binds those over 1,024
        // chars as a character stream, which H2 turns into a CLOB and back into text on insert:
        // two 8K-char buffers and a copy per response body or tool result, 40% of loopline's
        // allocation in the Responses benchmark (docs/benchmarks-log.md, the Responses API section).
        cfg.put("db.parameters.use-string-binding", "false");
        Config config = Config.builder(ConfigSources.create(cfg))
                .disableEnvironmentVariablesSource().disableSystemPropertiesSource().build();
        DbClient client = DbClient.create(config.get("db"));
        // An embedded H2 file is compacted as it goes (H2Compaction); a server database compacts itself.
        H2Compaction compaction = url.startsWith("jdbc:h2:file:")
                ? new H2Compaction(url, user, password, Duration.ofSeconds(10), Duration.ofMillis(200)) : null;
        return new Database(client, url, compaction);
    }

    static String defaultH2Url(Path dataDir) {
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new IllegalStateException("cannot create data dir " + dataDir, e);
        }
        // WRITE_DELAY=0: a committed transaction is written out at once, not up to a second later,
        // so what the API acknowledged survives a kill -9 (found by CrashRecoveryTest).
        // DB_CLOSE_ON_EXIT=FALSE: H2's own VM-exit hook would close the database while loopline's
        // shutdown still writes (the usage writer's last batch, tool executions); loopline closes
        // it itself, last (found by GracefulShutdownTest).
        // CACHE_SIZE=4096 (KB; H2's default is 16 MB): every page a commit writes enters H2's page
        // cache, so a large cache keeps thousands of just-written rows alive across young
        // collections; under proxy load G1's young pauses were 12 ms with 16 MB, 8 ms with 4 MB
        // (docs/benchmarks.md). Reads past the cache come from the OS page cache.
        // MAX_COMPACT_TIME: closing compacts the file for up to 5 s instead of H2's 200 ms (H2Compaction).
        return "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("loopline")
                + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;WRITE_DELAY=0;DB_CLOSE_ON_EXIT=FALSE;CACHE_SIZE=4096"
                + ";MAX_COMPACT_TIME=" + H2Compaction.CLOSE_BUDGET.toMillis();
    }

    /** Runs every pending migration; the same files for H2 and PostgreSQL. */
    public static void migrate(String url, String user, String password) {
        Flyway.configure()
                .dataSource(url, user, password)
                .locations("classpath:db/migration")
                .load()
                .migrate();
    }

    public DbClient client() {
        return client;
    }

    /** The embedded database's compaction (null on PostgreSQL or an in-memory H2). */
    H2Compaction compaction() {
        return compaction;
    }

    public boolean isPostgres() {
        return url.startsWith("jdbc:postgresql:");
    }

    /** Runs {@code work} in one transaction: committed when it returns, rolled back when it throws. */
    public void transaction(Consumer<DbTransaction> work) {
        inTransaction(tx -> {
            work.accept(tx);
            return null;
        });
    }

    /** {@link #transaction} for work with a result. */
    public <T> T inTransaction(Function<DbTransaction, T> work) {
        DbTransaction tx = client.transaction();
        try {
            T result = work.apply(tx);
            tx.commit();
            return result;
        } catch (RuntimeException e) {
            tx.rollback();
            throw e;
        }
    }

    /**
     * Runs one statement for many rows as a JDBC batch in one transaction: all rows or none. Far
     * cheaper per row than a statement each (the usage writer's hundreds of rows per flush).
     */
    public void batch(String sql, List<Object[]> rows) {
        if (rows.isEmpty()) {
            return;
        }
        try (Connection c = client.unwrap(Connection.class)) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (Object[] row : rows) {
                    for (int i = 0; i < row.length; i++) {
                        if (row[i] == null) {
                            ps.setNull(i + 1, Types.NULL);
                        } else {
                            ps.setObject(i + 1, row[i]);
                        }
                    }
                    ps.addBatch();
                }
                ps.executeBatch();
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(autoCommit);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("batch of " + rows.size() + " rows failed: " + e.getMessage(), e);
        }
    }

    /** Query and materialise: the stream holds a pooled connection until closed, so never let it escape. */
    public <T> List<T> list(String sql, Function<DbRow, T> mapper, Object... params) {
        try (Stream<DbRow> rows = client.execute().query(sql, params)) {
            return rows.map(mapper).toList();
        }
    }

    /** A cheap liveness probe for /health/ready. */
    public boolean ping() {
        try {
            return client.execute().get("SELECT 1 AS one").isPresent();
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public void close() {
        if (compaction != null) {
            compaction.close();
        }
        client.close();
    }
}
