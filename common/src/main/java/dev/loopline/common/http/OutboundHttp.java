package dev.loopline.common.http;

import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The one place that sets up service-to-service HTTP (okhttp): timeouts, the shared connection
 * pool, and the X-Request-Id and traceparent propagation interceptor. Callers derive per-use clients with
 * {@code newBuilder()} (sharing pool and dispatcher), never a static singleton.
 */
public final class OutboundHttp {
    private final OkHttpClient base;

    public OutboundHttp(Duration connectTimeout, Duration readTimeout) {
        Dispatcher dispatcher = new Dispatcher();
        dispatcher.setMaxRequests(4096);
        dispatcher.setMaxRequestsPerHost(2048);
        this.base = new OkHttpClient.Builder()
                .dispatcher(dispatcher)
                .connectionPool(new ConnectionPool(256, 5, TimeUnit.MINUTES))
                .connectTimeout(connectTimeout)
                .readTimeout(readTimeout)
                .writeTimeout(readTimeout)
                .callTimeout(Duration.ZERO)
                .retryOnConnectionFailure(false)
                .addInterceptor(chain -> {
                    var req = chain.request();
                    String id = RequestContext.requestId();
                    if (!"-".equals(id) && req.header(RequestIdFilter.REQUEST_ID.defaultCase()) == null) {
                        req = req.newBuilder().header(RequestIdFilter.REQUEST_ID.defaultCase(), id).build();
                    }
                    String trace = RequestContext.traceparent();
                    if (trace != null && req.header(TraceContext.HEADER) == null) {
                        req = req.newBuilder().header(TraceContext.HEADER, trace).build();
                    }
                    return chain.proceed(req);
                })
                .build();
    }

    public OkHttpClient client() {
        return base;
    }

    /** A client sharing pool and dispatcher, with its own read and whole-call timeouts. */
    public OkHttpClient withTimeouts(Duration read, Duration call) {
        return base.newBuilder().readTimeout(read).callTimeout(call).build();
    }

    public void close() {
        base.dispatcher().executorService().shutdown();
        base.connectionPool().evictAll();
    }
}
