package dev.loopline.responses;

import java.security.SecureRandom;
import java.util.HexFormat;

/** OpenAI-style ids: a type prefix and random hex (resp_…, msg_…, ws_…, fc_…). */
public final class Ids {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Ids() {
    }

    public static String next(String prefix) {
        byte[] b = new byte[24];
        RANDOM.nextBytes(b);
        return prefix + "_" + HexFormat.of().formatHex(b);
    }
}
