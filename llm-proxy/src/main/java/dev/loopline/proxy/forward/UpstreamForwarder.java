package dev.loopline.proxy.forward;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.errors.ErrorBody;
import dev.loopline.common.http.ChunkedStream;
import dev.loopline.common.http.ClientWatch;
import dev.loopline.common.http.ServerTiming;
import dev.loopline.common.json.Json;
import dev.loopline.proxy.routing.Upstream;
import dev.loopline.proxy.routing.UpstreamPool;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import okhttp3.Call;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSource;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Sends a request to a replica and relays the answer. Fails over to another replica only while
 * nothing has been sent to the client (connection failures, 502, 503), within the request's
 * deadline; streams are relayed one whole SSE event at a time as the upstream produces them, and
 * a client that goes away cancels the upstream call at once. Token usage is read on the way.
 */
public final class UpstreamForwarder {
    private static final System.Logger LOG = System.getLogger(UpstreamForwarder.class.getName());
    private static final MediaType JSON = MediaType.get("application/json");
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);
    private static final HeaderName ACCEL_BUFFERING = HeaderNames.create("X-Accel-Buffering");
    private static final HeaderName SERVER_TIMING = HeaderNames.create(ServerTiming.HEADER);
    private static final byte[] USAGE_KEY = "\"usage\"".getBytes(StandardCharsets.US_ASCII);

    private final UpstreamPool pool;
    private final OkHttpClient http;
    private final int failureThreshold;
    private final long coolDownMillis;
    private final long deadlineMillis;
    private final Deadlines deadlines;

    /**
     * The client gets no read/write/call timeouts: okio enforces those with a watchdog queue entered
     * on every read and write, which was a hot spot under load. The request's deadline is enforced
     * by {@link Deadlines} instead (at most 25 ms late).
     */
    public UpstreamForwarder(UpstreamPool pool, OkHttpClient http, int failureThreshold, long coolDownMillis, Duration deadline) {
        this.pool = pool;
        this.http = http.newBuilder().readTimeout(Duration.ZERO).writeTimeout(Duration.ZERO).callTimeout(Duration.ZERO).build();
        this.failureThreshold = failureThreshold;
        this.coolDownMillis = coolDownMillis;
        this.deadlineMillis = deadline.toMillis();
        this.deadlines = new Deadlines(25);
    }

    public void close() {
        deadlines.close();
    }

    /**
     * @param stripUsageChunk the client did not ask for a usage chunk, we added the request for one
     *                        (to account the stream), so it is not passed on
     */
    public RelayOutcome forward(String path, String model, byte[] body, boolean stream, boolean stripUsageChunk,
                                String affinityKey, ServerRequest req, ServerResponse res) {
        // A client that leaves while the model works cancels the upstream call at once (not at the deadline).
        AtomicReference<Call> current = new AtomicReference<>();
        try (ClientWatch.Watch watch = ClientWatch.watch(req, () -> {
            Call c = current.get();
            if (c != null) {
                c.cancel();
            }
        })) {
            return attempts(path, model, body, stream, stripUsageChunk, affinityKey, req, res, watch, current);
        }
    }

    /** Tries replicas in turn (failover) until one answers, the deadline passes or the client leaves ({@code current}: the call in flight). */
    private RelayOutcome attempts(String path, String model, byte[] body, boolean stream, boolean stripUsageChunk, String affinityKey,
                                  ServerRequest req, ServerResponse res, ClientWatch.Watch watch, AtomicReference<Call> current) {
        Set<Upstream> tried = new HashSet<>();
        ApiException last = null;
        int retries = -1;
        long deadlineAt = System.currentTimeMillis() + deadlineMillis;
        while (true) {
            long remaining = deadlineAt - System.currentTimeMillis();
            if (remaining <= 0) {
                throw ApiException.gatewayTimeout("The model upstream did not answer before the deadline.");
            }
            Upstream u = pool.choose(model, tried, affinityKey).orElse(null);
            if (u == null) {
                throw last != null ? last : ApiException.unavailable("No healthy model upstream serves `" + model + "` right now.");
            }
            tried.add(u);
            retries++;
            Request.Builder rb = new Request.Builder().url(u.url(path)).post(RequestBody.create(body, JSON));
            if (pool.apiKey() != null) {
                rb.header("Authorization", "Bearer " + pool.apiKey());
            }
            Call call = http.newCall(rb.build());
            current.set(call);
            if (watch.clientGone()) {
                call.cancel();
            }
            Deadlines.Armed timer = deadlines.arm(call, remaining);
            u.begin();
            long sent = System.nanoTime();
            Response upstream;
            try {
                upstream = call.execute();
            } catch (IOException e) {
                deadlines.disarm(timer);
                u.end();
                if (watch.clientGone()) {
                    // Not the replica's fault: the client left and the call was cancelled for it.
                    throw new ClientGone();
                }
                u.recordFailure(failureThreshold, coolDownMillis);
                if (timer.expired()) {
                    // The deadline passed: no time is left for another replica.
                    throw ApiException.gatewayTimeout("The model upstream did not answer before the deadline.");
                }
                LOG.log(System.Logger.Level.WARNING, "upstream " + u + " failed before answering: " + e.getClass().getSimpleName());
                last = ApiException.badGateway("The model upstream could not be reached.");
                continue;
            }
            try (upstream) {
                int status = upstream.code();
                if (status == 502 || status == 503) {
                    u.recordFailure(failureThreshold, coolDownMillis);
                    last = UpstreamErrors.translate(status, errorBody(upstream), model);
                    continue;
                }
                if (status >= 500) {
                    u.recordFailure(failureThreshold, coolDownMillis);
                } else {
                    u.recordSuccess();
                }
                if (status >= 400) {
                    throw UpstreamErrors.translate(status, errorBody(upstream), model);
                }
                String contentType = upstream.header("Content-Type", "application/json");
                if (stream && contentType.startsWith("text/event-stream")) {
                    return relayStream(u, upstream, call, req, res, stripUsageChunk, retries, timer, sent);
                }
                byte[] bytes;
                try {
                    bytes = upstream.body().bytes();
                } catch (IOException e) {
                    if (timer.expired()) {
                        throw ApiException.gatewayTimeout("The model upstream did not finish before the deadline.");
                    }
                    if (watch.clientGone()) {
                        throw new ClientGone();
                    }
                    throw ApiException.badGateway("The model upstream broke off its answer.");
                }
                UsageParser.Usage usage;
                try {
                    usage = contentType.startsWith("application/json") ? UsageParser.parseBody(bytes) : UsageParser.Usage.NONE;
                } catch (IOException e) {
                    u.recordFailure(failureThreshold, coolDownMillis);
                    throw ApiException.badGateway("The model upstream returned malformed JSON.");
                }
                long first = System.nanoTime();
                res.status(Status.create(status));
                res.header(HeaderNames.CONTENT_TYPE, contentType);
                res.header(SERVER_TIMING, ServerTiming.format("upstream", first - sent));
                res.send(bytes);
                return new RelayOutcome(u.baseUrl(), status, usage.prompt(), usage.completion(), usage.cached(), first, retries, bytes);
            } finally {
                deadlines.disarm(timer);
                u.end();
            }
        }
    }

    /** The client closed its connection while the upstream worked; there is no one to answer. */
    public static final class ClientGone extends RuntimeException {
        ClientGone() {
            super("the client went away; the upstream call was cancelled", null, false, false);
        }
    }

    private RelayOutcome relayStream(Upstream u, Response upstream, Call call, ServerRequest req, ServerResponse res, boolean stripUsageChunk, int retries,
                                     Deadlines.Armed timer, long sent) {
        res.status(Status.OK_200);
        res.header(HeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        res.header(ACCEL_BUFFERING, "no");
        // Taken once the upstream's first bytes are in: headers can be set until then, and one says
        // how long the upstream took to begin.
        OutputStream out = null;
        byte[] buf = new byte[16 * 1024];
        int len = 0;
        long firstByte = 0;
        UsageParser.Usage usage = UsageParser.Usage.NONE;
        boolean sawDone = false;
        try {
            BufferedSource src = upstream.body().source();
            while (true) {
                if (len == buf.length) {
                    buf = Arrays.copyOf(buf, buf.length * 2);
                }
                int n;
                try {
                    n = src.read(buf, len, buf.length - len);
                } catch (IOException e) {
                    // The upstream broke off mid-stream (or the deadline passed): say so in-band, then end cleanly.
                    if (!sawDone) {
                        out = out == null ? ChunkedStream.open(req, res) : out;
                        ObjectNode err = timer.expired()
                                ? ErrorBody.of("The model upstream did not finish before the deadline.", "api_error", null, "upstream_timeout")
                                : ErrorBody.of("The model upstream broke off the stream.", "api_error", null, "upstream_error");
                        out.write(("data: " + Json.string(err) + "\n\n").getBytes(StandardCharsets.UTF_8));
                        out.write(DONE);   // sent with the end of the body, below
                    }
                    break;
                }
                if (n < 0) {
                    break;
                }
                if (out == null) {
                    res.header(SERVER_TIMING, ServerTiming.format("upstream", System.nanoTime() - sent));
                    out = ChunkedStream.open(req, res);
                }
                len += n;
                // Pass on every complete event; keep a partial one for the next read.
                int start = 0;
                boolean wrote = false;
                for (int end = frameEnd(buf, start, len); end > 0; end = frameEnd(buf, start, len)) {
                    int dataOff = start + 6;
                    int dataLen = end - 2 - dataOff;
                    boolean isData = end - start > 6 && buf[start] == 'd' && buf[start + 5] == ' ';
                    boolean drop = false;
                    if (isData && indexOf(buf, dataOff, end, USAGE_KEY) >= 0) {
                        UsageParser.Usage u2 = UsageParser.parse(buf, dataOff, dataLen);
                        if (u2.prompt() + u2.completion() > 0) {
                            usage = u2;
                        }
                        drop = stripUsageChunk && UsageParser.isUsageOnlyChunk(buf, dataOff, dataLen);
                    }
                    if (isData && dataLen == 6 && buf[dataOff] == '[') {
                        sawDone = true;
                    }
                    if (!drop) {
                        out.write(buf, start, end - start);
                        wrote = true;
                    }
                    start = end;
                }
                if (start > 0) {
                    System.arraycopy(buf, start, buf, 0, len - start);
                    len -= start;
                }
                if (sawDone) {
                    // The end of the stream: [DONE] goes out below, in one write with the end of the
                    // body; closing the upstream response then reads its last bytes for reuse.
                    break;
                }
                if (wrote) {
                    out.flush();
                    if (firstByte == 0) {
                        firstByte = System.nanoTime();
                    }
                }
            }
            out = out == null ? ChunkedStream.open(req, res) : out;
            if (len > 0) {
                out.write(buf, 0, len);
            }
            out.close();
            if (firstByte == 0 && sawDone) {   // [DONE] came in the first read, so went out only now
                firstByte = System.nanoTime();
            }
        } catch (IOException | UncheckedIOException clientGone) {
            // Helidon reports a broken client connection as UncheckedIOException.
            call.cancel();
            LOG.log(System.Logger.Level.DEBUG, "client went away; upstream call cancelled");
            return new RelayOutcome(u.baseUrl(), 499, usage.prompt(), usage.completion(), usage.cached(), firstByte, retries, null);
        }
        return new RelayOutcome(u.baseUrl(), 200, usage.prompt(), usage.completion(), usage.cached(), firstByte, retries, null);
    }

    /** The index just past the first "\n\n" at or after {@code from}, or -1. */
    private static int frameEnd(byte[] b, int from, int len) {
        for (int i = from; i + 1 < len; i++) {
            if (b[i] == '\n' && b[i + 1] == '\n') {
                return i + 2;
            }
        }
        return -1;
    }

    private static int indexOf(byte[] hay, int from, int to, byte[] needle) {
        outer:
        for (int i = from; i <= to - needle.length; i++) {
            for (int k = 0; k < needle.length; k++) {
                if (hay[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static byte[] errorBody(Response upstream) {
        try {
            return upstream.peekBody(64 * 1024).bytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }
}
