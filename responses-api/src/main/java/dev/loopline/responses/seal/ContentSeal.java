package dev.loopline.responses.seal;

import dev.loopline.common.errors.ApiException;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The {@code encrypted_content} of reasoning and compaction items: the text sealed with AES-256-GCM
 * under a key derived from the replicas' shared secret, bound to the tenant and to the kind of item
 * (as the cipher's associated data), so a {@code store: false} client can hand it back without
 * loopline keeping it, and cannot read, alter, move it to another tenant or pass one kind off as
 * the other. Format: the kind's prefix ({@code llr1.} reasoning, {@code llc1.} compaction) +
 * base64url(nonce ‖ ciphertext ‖ tag).
 */
public final class ContentSeal {
    /** What was sealed; each kind has its own prefix and associated data. */
    public enum Kind {
        REASONING("llr1.", "reasoning"), COMPACTION("llc1.", "compaction");

        private final String prefix;
        private final String aad;

        Kind(String prefix, String aad) {
            this.prefix = prefix;
            this.aad = aad;
        }
    }

    private static final int NONCE = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();
    private final SecretKeySpec key;

    public ContentSeal(byte[] key) {
        if (key.length != 32) {
            throw new IllegalArgumentException("a 256-bit key is needed");
        }
        this.key = new SecretKeySpec(key, "AES");
    }

    public String seal(Kind kind, String text, String tenantId) {
        byte[] nonce = new byte[NONCE];
        RANDOM.nextBytes(nonce);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
            c.updateAAD(aad(kind, tenantId));
            byte[] sealed = c.doFinal(text.getBytes(StandardCharsets.UTF_8));
            return kind.prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(ByteBuffer.allocate(NONCE + sealed.length).put(nonce).put(sealed).array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is unavailable", e);
        }
    }

    /**
     * The text of this kind sealed in {@code blob} for this tenant.
     *
     * @param param the request field, named in the 400 for a blob that is not one of ours, was
     *              altered, or was sealed for another tenant (or with another secret)
     */
    public String open(Kind kind, String blob, String tenantId, String param) {
        if (!blob.startsWith(kind.prefix)) {
            throw invalid(param);
        }
        byte[] raw;
        try {
            raw = Base64.getUrlDecoder().decode(blob.substring(kind.prefix.length()));
        } catch (IllegalArgumentException e) {
            throw invalid(param);
        }
        if (raw.length < NONCE + TAG_BITS / 8) {
            throw invalid(param);
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, raw, 0, NONCE));
            c.updateAAD(aad(kind, tenantId));
            return new String(c.doFinal(raw, NONCE, raw.length - NONCE), StandardCharsets.UTF_8);
        } catch (AEADBadTagException e) {
            throw invalid(param);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is unavailable", e);
        }
    }

    private static byte[] aad(Kind kind, String tenantId) {
        return ("loopline " + kind.aad + "; tenant " + tenantId).getBytes(StandardCharsets.UTF_8);
    }

    private static ApiException invalid(String param) {
        return ApiException.badRequest(param, "The encrypted content of '" + param + "' could not be verified: it was not made by this "
                + "server for this organization, or it was altered.", "invalid_encrypted_content");
    }
}
