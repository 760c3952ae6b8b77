package dev.loopline.mcp.tools.scrape;

import dev.loopline.common.net.AddressPolicy;
import dev.loopline.common.net.BlockedAddressException;
import dev.loopline.common.net.CheckedSocketFactory;
import dev.loopline.mcp.tools.Tool;
import dev.loopline.mcp.tools.ToolContext;
import okhttp3.Call;
import okhttp3.ConnectionPool;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Proxy;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

/**
 * Fetches a public web page without letting a URL reach anything private (SSRF protection).
 *
 * <ul>
 *   <li>http and https only; redirects followed here, at most 5, each hop checked again;</li>
 *   <li>every connection goes through a socket factory that checks the address actually being
 *       connected to against {@link AddressPolicy} before the TCP handshake, which also covers IP
 *       literals (they bypass any custom DNS) and DNS rebinding between check and use;</li>
 *   <li>no proxy (a proxy would connect on our behalf where we cannot check);</li>
 *   <li>a byte cap on the compressed body and one on the decompressed body (gzip bombs), a whole-call
 *       timeout (slow drips, endless chunked bodies), a content-type allow-list, and a sniff for
 *       binary data served as text;</li>
 *   <li>cancellable: {@code notifications/cancelled} cancels the call and closes its connection.</li>
 * </ul>
 */
public final class SafeFetcher {
    static final int MAX_REDIRECTS = 5;
    private static final Set<String> TYPES = Set.of("text/html", "application/xhtml+xml", "text/plain", "text/markdown");

    private final OkHttpClient http;
    private final long maxCompressedBytes;
    private final long maxBytes;
    private final Duration callTimeout;

    public SafeFetcher(OkHttpClient base, AddressPolicy policy, Duration callTimeout, long maxCompressedBytes, long maxBytes) {
        OkHttpClient.Builder b = base.newBuilder();
        // No service-to-service interceptors (loopline's request id) on requests to arbitrary sites.
        b.interceptors().clear();
        b.networkInterceptors().clear();
        this.http = b
                // Its own pool: a connection opened by another client (loopline's calls to its own
                // services on 127.0.0.1) must never be reused for a page, as it skipped the check.
                .connectionPool(new ConnectionPool())
                .proxy(Proxy.NO_PROXY)
                .followRedirects(false)
                .followSslRedirects(false)
                // GETs only: retrying a stale pooled connection (the server closed it while idle) is safe,
                // and the retry connects through the same checked socket factory.
                .retryOnConnectionFailure(true)
                .socketFactory(new CheckedSocketFactory(policy))
                .callTimeout(callTimeout)
                .readTimeout(callTimeout)
                .cache(null)
                .build();
        this.maxCompressedBytes = maxCompressedBytes;
        this.maxBytes = maxBytes;
        this.callTimeout = callTimeout;
    }

    /** A fetched page: the final URL after redirects, its content type, charset (if declared) and bytes. */
    public record Page(String finalUrl, String mediaType, String charset, byte[] body) {
    }

    /** Fetches a page; the timeout bounds the whole fetch, every redirect hop included, not each hop. */
    public Page fetch(String url, ToolContext ctx) throws Tool.ToolFailure {
        HttpUrl current = parse(url);
        long deadline = System.nanoTime() + callTimeout.toNanos();
        for (int hop = 0; ; hop++) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new Tool.ToolFailure("The fetch took longer than " + callTimeout.toSeconds() + " s (redirects included).");
            }
            Request req = new Request.Builder().url(current)
                    .header("User-Agent", "loopline-scrape/1.0 (+https://github.com/loopline)")
                    .header("Accept", "text/html,application/xhtml+xml,text/plain;q=0.8,*/*;q=0.1")
                    .header("Accept-Encoding", "gzip")
                    .build();
            Call call = http.newCall(req);
            call.timeout().timeout(left, TimeUnit.NANOSECONDS); // what is left of the whole fetch's time
            ctx.onCancel(call::cancel);
            try (Response res = call.execute()) {
                if (res.isRedirect()) {
                    String location = res.header("Location");
                    if (location == null) {
                        throw new Tool.ToolFailure("The server answered " + res.code() + " without a Location.");
                    }
                    if (hop >= MAX_REDIRECTS) {
                        throw new Tool.ToolFailure("Too many redirects (more than " + MAX_REDIRECTS + ").");
                    }
                    HttpUrl next = current.resolve(location);
                    if (next == null) {
                        throw new Tool.ToolFailure("The redirect target is not an http or https URL: " + location);
                    }
                    current = parse(next.toString());
                    continue;
                }
                if (!res.isSuccessful()) {
                    throw new Tool.ToolFailure("The page answered HTTP " + res.code() + ".");
                }
                String type = res.header("Content-Type", "");
                String media = type.split(";")[0].trim().toLowerCase(Locale.ROOT);
                if (!media.isEmpty() && !TYPES.contains(media)) {
                    throw new Tool.ToolFailure("Unsupported content type '" + media + "': scrape reads HTML and plain text.");
                }
                String charset = null;
                for (String part : type.split(";")) {
                    String p = part.trim();
                    if (p.toLowerCase(Locale.ROOT).startsWith("charset=")) {
                        charset = p.substring(8).replace("\"", "").trim();
                    }
                }
                byte[] body = read(res);
                if (looksBinary(body)) {
                    throw new Tool.ToolFailure("The response is binary data, not " + (media.isEmpty() ? "text" : media) + ".");
                }
                return new Page(current.toString(), media.isEmpty() ? "text/html" : media, charset, body);
            } catch (IOException e) {
                if (ctx.cancelled()) {
                    throw new Tool.ToolFailure("The fetch was cancelled.");
                }
                if (System.nanoTime() - deadline >= 0) {
                    throw new Tool.ToolFailure("The fetch took longer than " + callTimeout.toSeconds() + " s (redirects included).");
                }
                BlockedAddressException blocked = blocked(e, 0);
                if (blocked != null) {
                    throw new Tool.ToolFailure("Refused: " + blocked.getMessage());
                }
                throw new Tool.ToolFailure("Fetching " + current + " failed: " + e.getMessage());
            }
        }
    }

    /** The refusal inside an okhttp failure (as a cause, or suppressed by a later route's attempt). */
    private static BlockedAddressException blocked(Throwable t, int depth) {
        if (t == null || depth > 8) {
            return null;
        }
        if (t instanceof BlockedAddressException b) {
            return b;
        }
        for (Throwable s : t.getSuppressed()) {
            BlockedAddressException b = blocked(s, depth + 1);
            if (b != null) {
                return b;
            }
        }
        return blocked(t.getCause(), depth + 1);
    }

    static HttpUrl parse(String url) throws Tool.ToolFailure {
        HttpUrl u = HttpUrl.parse(url);
        if (u == null || !(u.scheme().equals("http") || u.scheme().equals("https"))) {
            throw new Tool.ToolFailure("Only http and https URLs can be scraped: " + url);
        }
        if (u.username().length() > 0 || u.password().length() > 0) {
            throw new Tool.ToolFailure("URLs with credentials are not scraped.");
        }
        return u;
    }

    private byte[] read(Response res) throws IOException, Tool.ToolFailure {
        InputStream raw = res.body().byteStream();
        CountingInputStream counted = new CountingInputStream(raw, maxCompressedBytes);
        InputStream in = "gzip".equalsIgnoreCase(res.header("Content-Encoding")) ? new GZIPInputStream(counted, 8192) : counted;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[16384];
        try {
            for (int n; (n = in.read(buf)) > 0; ) {
                if (out.size() + n > maxBytes) {
                    throw new Tool.ToolFailure("The page is larger than " + maxBytes + " bytes once decompressed.");
                }
                out.write(buf, 0, n);
            }
        } catch (CountingInputStream.TooLarge e) {
            throw new Tool.ToolFailure("The page is larger than " + maxCompressedBytes + " bytes on the wire.");
        }
        return out.toByteArray();
    }

    /** NUL bytes or a known binary signature in the first kilobyte (UTF-16 text with a BOM is fine). */
    static boolean looksBinary(byte[] b) {
        int n = Math.min(1024, b.length);
        if (n >= 2 && ((b[0] == (byte) 0xfe && b[1] == (byte) 0xff) || (b[0] == (byte) 0xff && b[1] == (byte) 0xfe))) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (b[i] == 0) {
                return true;
            }
        }
        return n >= 4 && ((b[0] == (byte) 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') || (b[0] == '%' && b[1] == 'P' && b[2] == 'D' && b[3] == 'F')
                || (b[0] == 'P' && b[1] == 'K' && b[2] == 3 && b[3] == 4) || (b[0] == (byte) 0xff && b[1] == (byte) 0xd8));
    }

    /** Counts raw bytes and stops past a cap. */
    static final class CountingInputStream extends FilterInputStream {
        static final class TooLarge extends IOException {
            TooLarge() {
                super("too large", null);
            }
        }

        private final long cap;
        private long count;

        CountingInputStream(InputStream in, long cap) {
            super(in);
            this.cap = cap;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0 && ++count > cap) {
                throw new TooLarge();
            }
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            if (n > 0 && (count += n) > cap) {
                throw new TooLarge();
            }
            return n;
        }
    }
}
