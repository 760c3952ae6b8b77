package dev.loopline.common.ids;

import java.security.SecureRandom;
import java.util.HexFormat;

/** OpenAI-style ids: a type prefix and random hex (resp_…, msg_…, vs_…, file-…). */
public final class Ids {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Ids() {
    }

    public static String next(String prefix) {
        return next(prefix, "_");
    }

    /** Files use a dash ({@code file-…}), as OpenAI's do. */
    public static String next(String prefix, String separator) {
        byte[] b = new byte[24];
        RANDOM.nextBytes(b);
        return prefix + separator + HexFormat.of().formatHex(b);
    }
}
