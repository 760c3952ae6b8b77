package dev.loopline.common.auth;

import dev.loopline.common.db.Database;

import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

/**
 * Processes that share a PostgreSQL database (replicas, split services) must share the internal
 * secret: work one makes (delegation tokens of background responses, sealed reasoning, MCP request
 * states) is verified by another. Each live process keeps a fingerprint of its secret in the
 * database ({@code secret_fingerprints}, refreshed every {@link #REFRESH}); a process whose secret
 * differs from one seen within {@link #LIVE} refuses to start, saying what to set. A fingerprint
 * not seen for longer belongs to processes that are gone (a whole-fleet secret rotation), and is
 * forgotten. The embedded H2 database is one process's: nothing to check there.
 */
public final class SharedSecretCheck implements AutoCloseable {
    static final Duration REFRESH = Duration.ofSeconds(30);
    static final Duration LIVE = Duration.ofMinutes(2);
    private final Database db;
    private final String fingerprint;
    private final Thread refresher;

    private SharedSecretCheck(Database db, String fingerprint) {
        this.db = db;
        this.fingerprint = fingerprint;
        this.refresher = Thread.ofVirtual().name("secret-fingerprint").start(this::refresh);
    }

    /**
     * Checks this process's secret against the live ones sharing {@code db}, records it, and keeps
     * it fresh until closed; null for an embedded database.
     *
     * @throws IllegalStateException when a live process uses another secret
     */
    public static SharedSecretCheck start(Database db, DelegationTokens secret, boolean configured) {
        if (!db.isPostgres()) {
            return null;
        }
        String mine = HexFormat.of().formatHex(secret.derivedKey("secret fingerprint")).substring(0, 64);
        long now = System.currentTimeMillis();
        db.client().execute().delete("DELETE FROM secret_fingerprints WHERE last_seen < ?", now - LIVE.toMillis());
        List<String> others = db.list("SELECT fingerprint FROM secret_fingerprints WHERE fingerprint <> ?",
                r -> r.column("fingerprint").getString(), mine);
        if (!others.isEmpty()) {
            throw new IllegalStateException("Another loopline process using this database has a different internal secret"
                    + (configured ? " than LOOPLINE_INTERNAL_SECRET" : " (this one has none configured, so it made its own in its data directory)")
                    + ". Processes that share a database must share it: set LOOPLINE_INTERNAL_SECRET to the same value "
                    + "(at least 32 bytes) on every replica and service, and restart them.");
        }
        if (db.client().execute().update("UPDATE secret_fingerprints SET last_seen = ? WHERE fingerprint = ?", now, mine) == 0) {
            try {
                db.client().execute().insert("INSERT INTO secret_fingerprints (fingerprint, last_seen) VALUES (?, ?)", mine, now);
            } catch (RuntimeException raced) {
                // another process with the same secret inserted it at the same moment: the same fingerprint, fine
            }
        }
        return new SharedSecretCheck(db, mine);
    }

    private void refresh() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(REFRESH);
                db.client().execute().update("UPDATE secret_fingerprints SET last_seen = ? WHERE fingerprint = ?",
                        System.currentTimeMillis(), fingerprint);
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                System.getLogger(SharedSecretCheck.class.getName()).log(System.Logger.Level.WARNING,
                        "could not refresh the secret fingerprint: " + e.getMessage());
            }
        }
    }

    @Override
    public void close() {
        refresher.interrupt();
    }
}
