package dev.loopline.app;

import dev.loopline.common.auth.ApiKeys;
import dev.loopline.common.config.Settings;

import java.util.Optional;

/**
 * The first admin API key (the Administration API's, {@code /v1/organization}): {@code
 * LOOPLINE_ADMIN_KEY} when set (stored hashed); otherwise, when no admin key exists yet, one is
 * generated, stored hashed and shown once in the banner. More are made through the API.
 */
final class AdminApiKey {
    static final String NAME = "bootstrap";

    private AdminApiKey() {
    }

    /** The key to show once, or null when there is nothing to show. */
    static String ensure(Settings settings, ApiKeys keys) {
        Optional<String> configured = settings.optional("LOOPLINE_ADMIN_KEY", "loopline.admin-key");
        if (configured.isPresent()) {
            if (configured.get().length() < 32) {
                throw new IllegalStateException("LOOPLINE_ADMIN_KEY must be at least 32 characters long");
            }
            keys.addAdmin(configured.get(), NAME);
            return null;
        }
        if (keys.anyAdmin()) {
            return null;
        }
        String key = ApiKeys.newKey("ll-admin-");
        keys.addAdmin(key, NAME);
        return key;
    }
}
