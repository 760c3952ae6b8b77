package dev.loopline.app;

import dev.loopline.common.auth.ApiKeys;
import dev.loopline.common.config.Settings;

import java.util.Optional;

/**
 * The development API key: {@code LOOPLINE_DEV_API_KEY} when set (stored hashed); otherwise one is
 * generated on first start, stored hashed and shown once. Later starts cannot show it again.
 */
final class DevApiKey {
    static final String NAME = "dev";
    static final String TENANT = "default";
    static final String USER = "dev";

    /** What the banner can say about the key. */
    record Shown(String key, String hint) {
    }

    private DevApiKey() {
    }

    static Shown ensure(Settings settings, ApiKeys keys) {
        Optional<String> configured = settings.optional("LOOPLINE_DEV_API_KEY", "loopline.dev-api-key");
        if (configured.isPresent()) {
            keys.add(configured.get(), TENANT, USER, NAME);
            return new Shown(null, "the key in LOOPLINE_DEV_API_KEY");
        }
        if (keys.anyNamed(NAME)) {
            String prefix = keys.prefixOf(NAME).orElse("ll-dev-");
            return new Shown(null, "created on an earlier start (" + prefix + "…); it is shown only once. "
                    + "Set LOOPLINE_DEV_API_KEY to choose your own");
        }
        String key = ApiKeys.newKey("ll-dev-");
        keys.add(key, TENANT, USER, NAME);
        return new Shown(key, "generated now and stored hashed; it will not be shown again");
    }
}
