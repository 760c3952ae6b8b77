package dev.loopline.proxy.forward;

import java.nio.charset.StandardCharsets;

/**
 * Asks a streamed request for the upstream's usage chunk ({@code stream_options.include_usage}),
 * so the stream can be accounted, without re-encoding the client's body: the member is put in
 * front of the others and every byte the client sent passes on unchanged.
 */
public final class UsageRequest {
    private static final byte[] MEMBER = "\"stream_options\":{\"include_usage\":true},".getBytes(StandardCharsets.US_ASCII);

    private UsageRequest() {
    }

    /**
     * @param object the bytes of a JSON object that has at least one member and no
     *               {@code stream_options} (already parsed, so its first non-blank byte is '{')
     */
    public static byte[] added(byte[] object) {
        int open = 0;
        while (object[open] != '{') {
            open++;
        }
        byte[] out = new byte[object.length + MEMBER.length];
        System.arraycopy(object, 0, out, 0, open + 1);
        System.arraycopy(MEMBER, 0, out, open + 1, MEMBER.length);
        System.arraycopy(object, open + 1, out, open + 1 + MEMBER.length, object.length - open - 1);
        return out;
    }
}
