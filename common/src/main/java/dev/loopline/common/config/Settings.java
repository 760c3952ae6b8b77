package dev.loopline.common.config;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Configuration, highest priority first: {@code LOOPLINE_*} environment variables, the YAML file
 * named by {@code LOOPLINE_CONFIG}, and {@code application.yaml} on the class path (all under
 * {@code loopline.*}). Every setting is read through one of the typed getters with its
 * environment name, YAML key and default side by side, and the default is written only there:
 * docs/configuration.md lists the same three, and {@code ConfigurationDocsTest} fails when the two
 * disagree.
 */
public final class Settings {

    private final Map<String, String> env;
    private final Config yaml;

    private Settings(Map<String, String> env, Config yaml) {
        this.env = Map.copyOf(env);
        this.yaml = yaml;
    }

    /** The process environment and the YAML files. */
    public static Settings fromEnvironment() {
        return of(System.getenv());
    }

    /** Only the given variables (tests: the developer's own environment must not leak in). */
    public static Settings of(Map<String, String> env) {
        var builder = Config.builder().disableEnvironmentVariablesSource().disableSystemPropertiesSource();
        String file = env.get("LOOPLINE_CONFIG");
        if (file != null && !file.isBlank()) {
            Path p = Path.of(file);
            if (!Files.isReadable(p)) {
                throw new IllegalStateException("LOOPLINE_CONFIG names " + p + ", which cannot be read");
            }
            builder.addSource(ConfigSources.file(p));
        }
        builder.addSource(ConfigSources.classpath("application.yaml").optional());
        return new Settings(env, builder.build());
    }

    /** A copy with some variables replaced (used to derive one service's settings from the app's). */
    public Settings with(Map<String, String> overrides) {
        Map<String, String> merged = new HashMap<>(env);
        merged.putAll(overrides);
        return new Settings(merged, yaml);
    }

    public Optional<String> optional(String envName, String yamlKey) {
        String v = env.get(envName);
        if (v != null && !v.isBlank()) {
            return Optional.of(v.trim());
        }
        return yaml.get(yamlKey).asString().asOptional().filter(s -> !s.isBlank());
    }

    public String string(String envName, String yamlKey, String defaultValue) {
        return optional(envName, yamlKey).orElse(defaultValue);
    }

    public int integer(String envName, String yamlKey, int defaultValue) {
        return optional(envName, yamlKey).map(v -> parse(envName, v, Integer::parseInt)).orElse(defaultValue);
    }

    public long longValue(String envName, String yamlKey, long defaultValue) {
        return optional(envName, yamlKey).map(v -> parse(envName, v, Long::parseLong)).orElse(defaultValue);
    }

    public boolean bool(String envName, String yamlKey, boolean defaultValue) {
        return optional(envName, yamlKey).map(v -> switch (v.toLowerCase()) {
            case "1", "true", "yes", "on" -> true;
            case "0", "false", "no", "off" -> false;
            default -> throw new IllegalStateException(envName + " must be true or false, not '" + v + "'");
        }).orElse(defaultValue);
    }

    /** Durations as ISO-8601 ({@code PT45S}) or a number with a unit: {@code 45s}, {@code 500ms}, {@code 2m}. */
    public Duration duration(String envName, String yamlKey, Duration defaultValue) {
        return optional(envName, yamlKey).map(v -> parse(envName, v, Settings::parseDuration)).orElse(defaultValue);
    }

    static Duration parseDuration(String v) {
        String s = v.trim().toLowerCase();
        if (s.startsWith("pt") || s.startsWith("p")) {
            return Duration.parse(s.toUpperCase());
        }
        if (s.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2).trim()));
        }
        char unit = s.charAt(s.length() - 1);
        if (Character.isDigit(unit)) {
            return Duration.ofSeconds(Long.parseLong(s));
        }
        long n = Long.parseLong(s.substring(0, s.length() - 1).trim());
        return switch (unit) {
            case 's' -> Duration.ofSeconds(n);
            case 'm' -> Duration.ofMinutes(n);
            case 'h' -> Duration.ofHours(n);
            default -> throw new IllegalArgumentException("unknown unit " + unit);
        };
    }

    private static <T> T parse(String envName, String v, Function<String, T> parser) {
        try {
            return parser.apply(v);
        } catch (RuntimeException e) {
            throw new IllegalStateException(envName + " has an invalid value '" + v + "'", e);
        }
    }
}
