package dev.loopline.common.http;

import io.helidon.webserver.http.ServerRequest;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Notices a client that closed its connection while its request waits on something that writes
 * nothing (a hung model, a code run): a blocking handler only learns of it when it next writes,
 * which for a non-streamed answer is at the very end. One poller reads the kernel's TCP table
 * ({@code /proc/net/tcp}, {@code tcp6}) every {@value #POLL_MILLIS} ms while requests older than
 * {@value #GRACE_MILLIS} ms are watched: a connection the peer has closed ({@code CLOSE_WAIT}) or
 * that is gone runs the request's callback (cancel the upstream call, the tools, the response).
 * Reading the table is the one way to see a peer's FIN without reading from the connection, which
 * Helidon owns. Where there is no {@code /proc/net} (not Linux), watching does nothing.
 */
public final class ClientWatch {
    static final int POLL_MILLIS = 250;
    static final int GRACE_MILLIS = 500;
    private static final Path TCP = Path.of("/proc/net/tcp");
    private static final Path TCP6 = Path.of("/proc/net/tcp6");
    private static final String CLOSE_WAIT = "08";
    private static final System.Logger LOG = System.getLogger(ClientWatch.class.getName());
    private static final Map<Watch, Boolean> WATCHED = new ConcurrentHashMap<>();
    private static Thread poller;

    private ClientWatch() {
    }

    /** One request's connection, watched until closed. */
    public static final class Watch implements AutoCloseable {
        private final String local;
        private final String remote;
        private final long since = System.nanoTime();
        private final Runnable onGone;
        private volatile boolean gone;

        private Watch(String local, String remote, Runnable onGone) {
            this.local = local;
            this.remote = remote;
            this.onGone = onGone;
        }

        /** Whether the client was seen to leave. */
        public boolean clientGone() {
            return gone;
        }

        @Override
        public void close() {
            WATCHED.remove(this);
        }
    }

    /** Watches the request's connection until the returned watch is closed; {@code onGone} runs (once) if the client leaves. */
    public static Watch watch(ServerRequest req, Runnable onGone) {
        String local = key(req.localPeer().address());
        String remote = key(req.remotePeer().address());
        Watch w = new Watch(local, remote, onGone);
        if (local != null && remote != null && Files.isReadable(TCP)) {
            WATCHED.put(w, Boolean.TRUE);
            ensurePoller();
        }
        return w;
    }

    private static synchronized void ensurePoller() {
        if (poller == null) {
            poller = Thread.ofVirtual().name("client-watch").start(ClientWatch::poll);
        }
    }

    /** The poller ends when nothing is watched (checked under the lock that starts it, so no watch is missed). */
    private static boolean keepPolling() {
        synchronized (ClientWatch.class) {
            if (WATCHED.isEmpty()) {
                poller = null;
                return false;
            }
            return true;
        }
    }

    private static void poll() {
        while (keepPolling()) {
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            if (WATCHED.keySet().stream().noneMatch(w -> now - w.since > GRACE_MILLIS * 1_000_000L)) {
                continue; // every watched request is young: most finish before anyone looks
            }
            Map<String, String> states = new HashMap<>();
            read(TCP, states);
            read(TCP6, states);
            for (Watch w : WATCHED.keySet()) {
                if (now - w.since <= GRACE_MILLIS * 1_000_000L) {
                    continue;
                }
                String state = states.get(w.local + ' ' + w.remote);
                if (state == null || state.equals(CLOSE_WAIT)) {
                    w.gone = true;
                    WATCHED.remove(w);
                    runQuietly(w.onGone);
                }
            }
        }
    }

    private static void runQuietly(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cancelling the work of a client that left failed", e);
        }
    }

    /** Lines of /proc/net/tcp{,6}: "sl local rem st …" with addresses as hex → "local rem" → state. */
    private static void read(Path table, Map<String, String> states) {
        List<String> lines;
        try {
            lines = Files.readAllLines(table);
        } catch (IOException e) {
            return;
        }
        for (int i = 1; i < lines.size(); i++) {
            String[] f = lines.get(i).trim().split("\\s+");
            if (f.length > 3) {
                String local = normal(f[1]);
                String remote = normal(f[2]);
                if (local != null && remote != null) {
                    states.put(local + ' ' + remote, f[3]);
                }
            }
        }
    }

    /** A kernel table address ("0100007F:1F90", IPv4 or IPv6 in 32-bit little-endian words) as "address:port". */
    static String normal(String hex) {
        int colon = hex.indexOf(':');
        if (colon < 0) {
            return null;
        }
        String addr = hex.substring(0, colon);
        byte[] bytes = new byte[addr.length() / 2];
        for (int word = 0; word < bytes.length / 4; word++) {
            for (int b = 0; b < 4; b++) {
                int at = (word * 4 + (3 - b)) * 2;
                bytes[word * 4 + b] = (byte) Integer.parseInt(addr.substring(at, at + 2), 16);
            }
        }
        try {
            return key(new InetSocketAddress(InetAddress.getByAddress(bytes), Integer.parseInt(hex.substring(colon + 1), 16)));
        } catch (UnknownHostException | NumberFormatException e) {
            return null;
        }
    }

    /** An endpoint as "address:port", an IPv4-mapped IPv6 address as its IPv4 form. */
    static String key(SocketAddress a) {
        if (!(a instanceof InetSocketAddress s) || s.getAddress() == null) {
            return null;
        }
        byte[] b = s.getAddress().getAddress();
        if (b.length == 16 && isV4Mapped(b)) {
            b = new byte[]{b[12], b[13], b[14], b[15]};
        }
        try {
            return InetAddress.getByAddress(b).getHostAddress() + ":" + s.getPort();
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static boolean isV4Mapped(byte[] b) {
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
    }
}
