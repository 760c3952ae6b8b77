package dev.loopline.common.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.config.Settings;
import dev.loopline.common.errors.ApiException;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okio.Buffer;
import okio.BufferedSource;

import java.io.IOException;
import java.net.Proxy;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;

/**
 * Image URLs in messages ({@code input_image.image_url}, chat's {@code image_url.url}): a model
 * server that fetches them itself does so from inside the operator's network, past loopline's
 * address policy (the probe had vLLM read {@code http://169.254.169.254/…}). So by default
 * loopline fetches an http(s) image itself, through the same checks as the scraper (public
 * addresses only unless allowed, each redirect hop checked, no proxy, at most
 * {@value #MAX_BYTES} bytes, a PNG/JPEG/GIF/WebP by its bytes) and hands the model a
 * {@code data:} URL. {@code LOOPLINE_IMAGE_URLS=pass} gives trusted setups the old behaviour.
 */
public final class ImageUrls {
    public static final long MAX_BYTES = 20L * 1024 * 1024;
    private static final int MAX_REDIRECTS = 5;
    private final boolean fetch;
    private final OkHttpClient http;

    private ImageUrls(boolean fetch, OkHttpClient http) {
        this.fetch = fetch;
        this.http = http;
    }

    /** {@code LOOPLINE_IMAGE_URLS} ({@code fetch} or {@code pass}) and {@code LOOPLINE_IMAGE_URL_ALLOW_ADDRESSES} (CIDRs). */
    public static ImageUrls fromSettings(Settings s, OkHttpClient base) {
        String mode = s.string("LOOPLINE_IMAGE_URLS", "loopline.image-urls.mode", "fetch");
        if (!mode.equals("fetch") && !mode.equals("pass")) {
            throw new IllegalStateException("LOOPLINE_IMAGE_URLS must be fetch or pass, not '" + mode + "'");
        }
        AddressPolicy policy = new AddressPolicy(Arrays.stream(s.string("LOOPLINE_IMAGE_URL_ALLOW_ADDRESSES",
                "loopline.image-urls.allow-addresses", "").split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList());
        OkHttpClient.Builder b = base.newBuilder();
        b.interceptors().clear();
        b.networkInterceptors().clear();
        OkHttpClient http = b.connectionPool(new ConnectionPool()).proxy(Proxy.NO_PROXY).followRedirects(false).followSslRedirects(false)
                .socketFactory(new CheckedSocketFactory(policy)).callTimeout(Duration.ofSeconds(20)).readTimeout(Duration.ofSeconds(20))
                .cache(null).build();
        return new ImageUrls(mode.equals("fetch"), http);
    }

    /** Whether loopline fetches images itself (the default) rather than passing the URL on. */
    public boolean fetches() {
        return fetch;
    }

    /**
     * The URL the model is given for this one: a {@code data:} URL of the fetched image, or the URL
     * itself when it is already a data URL or images are passed on. Refusals are 400s naming {@code param}.
     */
    public String forModel(String url, String param) {
        if (!fetch || url.startsWith("data:")) {
            return url;
        }
        okhttp3.HttpUrl current = okhttp3.HttpUrl.parse(url);
        if (current == null) {
            throw ApiException.badRequest(param, "'" + param + "' must be an http(s) or data: URL.", "invalid_image_url");
        }
        for (int hop = 0; ; hop++) {
            try (Response res = http.newCall(new Request.Builder().url(current).header("Accept", "image/*").build()).execute()) {
                if (res.isRedirect()) {
                    okhttp3.HttpUrl next = res.header("Location") == null ? null : current.resolve(res.header("Location"));
                    if (next == null || hop >= MAX_REDIRECTS) {
                        throw ApiException.badRequest(param, "The image at '" + param + "' redirects too often or nowhere.", "failed_to_download_image");
                    }
                    current = next;
                    continue;
                }
                if (!res.isSuccessful()) {
                    throw ApiException.badRequest(param, "The image at '" + param + "' could not be downloaded (HTTP " + res.code() + ").",
                            "failed_to_download_image");
                }
                Buffer bytes = new Buffer();
                BufferedSource src = res.body().source();
                while (bytes.size() <= MAX_BYTES && src.read(bytes, MAX_BYTES + 1 - bytes.size()) != -1) {
                    // reading, at most one byte past the cap
                }
                if (bytes.size() > MAX_BYTES) {
                    throw ApiException.badRequest(param, "The image at '" + param + "' is larger than " + MAX_BYTES + " bytes.", "image_too_large");
                }
                byte[] image = bytes.readByteArray();
                String type = imageType(image);
                if (type == null) {
                    throw ApiException.badRequest(param, "The file at '" + param + "' is not a PNG, JPEG, GIF or WebP image.", "invalid_image_format");
                }
                return "data:" + type + ";base64," + Base64.getEncoder().encodeToString(image);
            } catch (IOException e) {
                BlockedAddressException blocked = blocked(e);
                if (blocked != null) {
                    throw ApiException.badRequest(param, "The image URL in '" + param + "' was refused: " + blocked.getMessage()
                            + " (LOOPLINE_IMAGE_URL_ALLOW_ADDRESSES allows more).", "invalid_image_url");
                }
                throw ApiException.badRequest(param, "The image at '" + param + "' could not be downloaded.", "failed_to_download_image");
            }
        }
    }

    /**
     * A chat completions body with every http(s) {@code image_url.url} of its messages replaced by
     * the fetched image; false when there was none (the body is then unchanged).
     */
    public boolean inlineChatImages(ObjectNode body) {
        if (!fetch) {
            return false;
        }
        boolean changed = false;
        JsonNode messages = body.path("messages");
        for (int i = 0; i < messages.size(); i++) {
            JsonNode content = messages.get(i).path("content");
            for (int k = 0; k < content.size(); k++) {
                JsonNode part = content.get(k);
                JsonNode imageUrl = part.path("image_url");
                String url = imageUrl.isTextual() ? imageUrl.asText() : imageUrl.path("url").asText("");
                if (url.startsWith("http://") || url.startsWith("https://")) {
                    String inline = forModel(url, "messages[" + i + "].content[" + k + "].image_url");
                    if (imageUrl.isObject()) {
                        ((ObjectNode) imageUrl).put("url", inline);
                    } else {
                        ((ObjectNode) part).put("image_url", inline);
                    }
                    changed = true;
                }
            }
        }
        return changed;
    }

    private static BlockedAddressException blocked(Throwable t) {
        for (int depth = 0; t != null && depth < 8; depth++, t = t.getCause()) {
            if (t instanceof BlockedAddressException b) {
                return b;
            }
            for (Throwable s : t.getSuppressed()) {
                if (s instanceof BlockedAddressException b) {
                    return b;
                }
            }
        }
        return null;
    }

    /** The image type by its magic bytes (the server's claim is not trusted). */
    public static String imageType(byte[] b) {
        if (b.length >= 8 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
            return "image/png";
        }
        if (b.length >= 3 && (b[0] & 0xff) == 0xFF && (b[1] & 0xff) == 0xD8 && (b[2] & 0xff) == 0xFF) {
            return "image/jpeg";
        }
        if (b.length >= 6 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F' && b[3] == '8') {
            return "image/gif";
        }
        if (b.length >= 12 && b[0] == 'R' && b[1] == 'I' && b[2] == 'F' && b[3] == 'F' && b[8] == 'W' && b[9] == 'E' && b[10] == 'B' && b[11] == 'P') {
            return "image/webp";
        }
        return null;
    }
}
