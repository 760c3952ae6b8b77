package dev.loopline.common.db;

import org.h2.engine.SessionLocal;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.MVStore;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;

/**
 * Keeps the embedded H2 file near the size of its live data. H2's MVStore writes new chunks and
 * leaves old ones for later compaction, and its own background compaction barely runs under a
 * steady write load: in a soak the file grew to 200 MB for under 1 MB of live rows and never
 * shrank, not even at shutdown (H2 compacts for 200 ms when closing). So, every
 * {@code interval}, when less than half the file is live, loopline compacts for at most
 * {@code budget} (writers wait that long at most, once); and closing compacts for up to
 * {@link #CLOSE_BUDGET} ({@code MAX_COMPACT_TIME} in the URL). Measured with a write-and-delete
 * soak of 5 KB rows (60 s, ~100 MB written, ~5 MB live): 519 MB without, 27 MB with compaction every
 * 10 s; after closing: 519 MB without, under 0.1 MB with.
 *
 * <p>Uses H2's internal store API ({@code SessionLocal}, {@code Store.compactFile}): H2's version is
 * pinned in the parent pom, and {@code H2CompactionTest} breaks if that API changes.
 */
final class H2Compaction implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(H2Compaction.class.getName());
    /** How long closing the database may spend compacting it (H2's default is 200 ms). */
    static final Duration CLOSE_BUDGET = Duration.ofSeconds(5);
    private final String url;
    private final String user;
    private final String password;
    private final Duration budget;
    private final Thread thread;
    private volatile boolean stopped;

    H2Compaction(String url, String user, String password, Duration interval, Duration budget) {
        this.url = url;
        this.user = user;
        this.password = password;
        this.budget = budget;
        this.thread = Thread.ofVirtual().name("h2-compaction").start(() -> {
            while (!stopped) {
                try {
                    Thread.sleep(interval.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
                try {
                    compactIfSparse();
                } catch (SQLException | RuntimeException e) {
                    if (!stopped) {
                        LOG.log(System.Logger.Level.WARNING, "compacting the embedded database failed: " + e.getMessage());
                    }
                }
            }
        });
    }

    /** One round: compacts when less than half the file is live; returns how full the file was before (percent). */
    int compactIfSparse() throws SQLException {
        try (Connection c = DriverManager.getConnection(url, user, password)) {
            SessionLocal session = (SessionLocal) c.unwrap(JdbcConnection.class).getSession();
            var store = session.getDatabase().getStore();
            MVStore mv = store.getMvStore();
            // How much of the file holds live chunks (free blocks between chunks are the growth), and how full those chunks are.
            int fill = Math.min(mv.getFileStore().getFillRate(), mv.getFileStore().getChunksFillRate());
            if (fill < 50) {
                store.compactFile((int) budget.toMillis());
            }
            return fill;
        }
    }

    @Override
    public void close() {
        stopped = true;
        thread.interrupt();
    }
}
