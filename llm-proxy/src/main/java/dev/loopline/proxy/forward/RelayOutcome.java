package dev.loopline.proxy.forward;

/**
 * What one relayed request produced: which replica served it, the HTTP status the client got,
 * the upstream's token usage, when the first byte went out, and (non-streaming) the body.
 */
public record RelayOutcome(String upstream, int status, long promptTokens, long completionTokens, long cachedTokens,
                           long firstByteNanos, int retries, byte[] body) {
}
