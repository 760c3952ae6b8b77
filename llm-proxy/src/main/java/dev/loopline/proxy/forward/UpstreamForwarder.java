package dev.loopline.proxy.forward;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.errors.ErrorBody;
import dev.loopline.common.errors.ErrorMapping;
import dev.loopline.common.json.Json;
import dev.loopline.proxy.routing.Upstream;
import dev.loopline.proxy.routing.UpstreamPool;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
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
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;

/**
 * Sends a request to a replica and relays the answer. Fails over to another replica only while
 * nothing has been sent to the client (connection failures, 502, 503); streams are relayed
 * chunk by chunk as the upstream produces them, and a client that goes away cancels the
 * upstream call at once.
 */
public final class UpstreamForwarder {
    private static final System.Logger LOG = System.getLogger(UpstreamForwarder.class.getName());
    private static final MediaType JSON = MediaType.get("application/json");
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private final UpstreamPool pool;
    private final OkHttpClient http;

    public UpstreamForwarder(UpstreamPool pool, OkHttpClient http) {
        this.pool = pool;
        this.http = http;
    }

    public void forward(String path, String model, byte[] body, boolean stream, ServerResponse res) {
        Set<Upstream> tried = new HashSet<>();
        ApiException last = null;
        while (true) {
            Upstream u = pool.choose(model, tried).orElse(null);
            if (u == null) {
                throw last != null ? last : ApiException.unavailable("No healthy model upstream serves `" + model + "` right now.");
            }
            tried.add(u);
            Request.Builder rb = new Request.Builder().url(u.baseUrl() + path).post(RequestBody.create(body, JSON));
            if (pool.apiKey() != null) {
                rb.header("Authorization", "Bearer " + pool.apiKey());
            }
            Call call = http.newCall(rb.build());
            u.begin();
            Response upstream;
            try {
                upstream = call.execute();
            } catch (IOException e) {
                u.end();
                LOG.log(System.Logger.Level.WARNING, "upstream " + u + " failed before answering: " + e.getClass().getSimpleName());
                last = e instanceof java.io.InterruptedIOException
                        ? ApiException.gatewayTimeout("The model upstream did not answer in time.")
                        : ApiException.badGateway("The model upstream could not be reached.");
                continue;
            }
            try (upstream) {
                int status = upstream.code();
                if (status == 502 || status == 503) {
                    last = UpstreamErrors.translate(status, errorBody(upstream), model);
                    continue;
                }
                if (status >= 400) {
                    throw UpstreamErrors.translate(status, errorBody(upstream), model);
                }
                String contentType = upstream.header("Content-Type", "application/json");
                if (stream && contentType.startsWith("text/event-stream")) {
                    relayStream(upstream, call, res);
                } else {
                    byte[] bytes;
                    try {
                        bytes = upstream.body().bytes();
                    } catch (IOException e) {
                        throw ApiException.badGateway("The model upstream broke off its answer.");
                    }
                    res.status(Status.create(status));
                    res.header(HeaderNames.CONTENT_TYPE, contentType);
                    res.send(bytes);
                }
                return;
            } finally {
                u.end();
            }
        }
    }

    private void relayStream(Response upstream, Call call, ServerResponse res) {
        res.status(Status.OK_200);
        res.header(HeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        res.header(HeaderNames.create("X-Accel-Buffering"), "no");
        OutputStream out = res.outputStream();
        byte[] buf = new byte[8192];
        boolean sawDone = false;
        try {
            BufferedSource src = upstream.body().source();
            while (true) {
                int n;
                try {
                    n = src.read(buf, 0, buf.length);
                } catch (IOException e) {
                    // The upstream broke off mid-stream: tell the client in-band, then end cleanly.
                    if (!sawDone) {
                        ObjectNode err = ErrorBody.of("The model upstream broke off the stream.", "api_error", null, "upstream_error");
                        out.write(("data: " + Json.string(err) + "\n\n").getBytes(StandardCharsets.UTF_8));
                        out.write(DONE);
                    }
                    break;
                }
                if (n < 0) {
                    break;
                }
                out.write(buf, 0, n);
                out.flush();
                if (!sawDone && n >= 6 && endsWithDone(buf, n)) {
                    sawDone = true;
                }
            }
            out.close();
        } catch (IOException | java.io.UncheckedIOException clientGone) {
            // Helidon reports a broken client connection as UncheckedIOException
            call.cancel();
            LOG.log(System.Logger.Level.DEBUG, "client went away; upstream call cancelled");
        }
    }

    private static byte[] errorBody(Response upstream) {
        try {
            return upstream.peekBody(64 * 1024).bytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }

    private static boolean endsWithDone(byte[] buf, int n) {
        return n >= DONE.length && java.util.Arrays.equals(buf, n - DONE.length, n, DONE, 0, DONE.length);
    }

    /** For errors raised before any byte was sent. */
    public static void fail(ServerResponse res, ApiException e) {
        ErrorMapping.send(res, e);
    }
}
