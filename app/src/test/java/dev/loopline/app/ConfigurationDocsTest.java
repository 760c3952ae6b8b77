package dev.loopline.app;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docs/configuration.md against the code. A setting's default is written once, in the code that
 * reads it ({@code settings.integer("LOOPLINE_X", "loopline.x", 8)}); this test reads every such
 * call in the services' sources and fails when the docs table lacks the setting, names another
 * YAML key, shows another default, or lists a setting no code reads, and when two places in the
 * code give one setting a default each.
 */
class ConfigurationDocsTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern CALL = Pattern.compile(
            "\\.(string|integer|longValue|bool|duration|optional)\\(\\s*\"(LOOPLINE_[A-Z0-9_]+)\"\\s*,\\s*\"([a-z0-9.-]+)\"\\s*([,)])");
    private static final Pattern ROW = Pattern.compile("^\\|\\s*`(LOOPLINE_[A-Z0-9_]+)`\\s*\\|\\s*`([a-z0-9.-]+)`\\s*\\|([^|]*)\\|");
    private static final Pattern DURATION = Pattern.compile("(?:java\\.time\\.)?Duration\\.of(Millis|Seconds|Minutes|Hours)\\((\\d+)\\)");

    /** One place the code reads a setting. */
    record Read(String env, String key, String kind, String defaultValue, String where) {
    }

    @Test
    void everySettingIsDocumentedWithItsKeyAndDefault() throws IOException {
        List<Read> reads = reads();
        assertTrue(reads.size() > 80, "the scan found the settings: " + reads.size());
        Map<String, String[]> docs = docs();
        List<String> problems = new ArrayList<>();
        Map<String, Read> withDefault = new TreeMap<>();
        for (Read r : reads) {
            String[] row = docs.get(r.env());
            if (row == null) {
                problems.add(r.env() + " (" + r.where() + ") is not in docs/configuration.md");
                continue;
            }
            if (!row[0].equals(r.key())) {
                problems.add(r.env() + ": the code reads YAML key " + r.key() + ", the docs say " + row[0]);
            }
            String shown = firstLiteral(row[1]);
            if (r.defaultValue() != null) {
                Read other = withDefault.putIfAbsent(r.env(), r);
                if (other != null) {
                    problems.add(r.env() + " has a default in two places: " + other.where() + " and " + r.where());
                }
                String literal = rendered(r);
                if (literal != null && !literal.equals(shown == null ? "" : shown)) {
                    problems.add(r.env() + ": the code's default is '" + literal + "' (" + r.where() + "), the docs show '" + row[1].trim() + "'");
                }
            }
        }
        for (String env : docs.keySet()) {
            if (reads.stream().noneMatch(r -> r.env().equals(env))) {
                problems.add(env + " is in docs/configuration.md but no code reads it");
            }
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void noModuleShipsDefaultsOfItsOwnBesideTheCode() throws IOException {
        try (Stream<Path> files = Files.walk(ROOT)) {
            List<Path> yaml = files.filter(p -> p.toString().contains("/src/main/resources/") && p.getFileName().toString().endsWith(".yaml"))
                    .filter(p -> !p.toString().contains("/node_modules/")).toList();
            assertEquals(List.of(), yaml, "defaults live in the code that reads them (and docs/configuration.md), not in YAML resources");
        }
    }

    /** Every settings call in the services' main sources, with its default expression (null for {@code optional}). */
    private static List<Read> reads() throws IOException {
        List<Read> out = new ArrayList<>();
        for (String module : List.of("common", "llm-proxy", "mcp-tools", "responses-api", "vector-store", "sandbox", "admin", "app")) {
            try (Stream<Path> files = Files.walk(ROOT.resolve(module).resolve("src/main/java"))) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    String src = Files.readString(f);
                    Matcher m = CALL.matcher(src);
                    while (m.find()) {
                        String where = ROOT.relativize(f) + ":" + (src.substring(0, m.start()).split("\n", -1).length);
                        String dflt = null;
                        if (m.group(4).equals(",")) {
                            dflt = argument(src, m.end());
                        }
                        out.add(new Read(m.group(2), m.group(3), m.group(1), dflt, where));
                    }
                }
            }
        }
        return out;
    }

    /** The expression from {@code start} to the parenthesis that closes the call. */
    private static String argument(String src, int start) {
        int depth = 0;
        for (int i = start; i < src.length(); i++) {
            char c = src.charAt(i);
            if (c == '"') {
                i = src.indexOf('"', i + 1);
            } else if (c == '(') {
                depth++;
            } else if (c == ')') {
                if (depth-- == 0) {
                    return src.substring(start, i).trim();
                }
            }
        }
        throw new IllegalStateException("unbalanced call at " + start);
    }

    /** The default as the docs show a literal, or null when the code computes it (the docs then describe it). */
    static String rendered(Read r) {
        String d = r.defaultValue().replaceAll("\\s+", " ");
        if (d.startsWith("\"") && d.endsWith("\"") && d.indexOf('"', 1) == d.length() - 1) {
            return d.substring(1, d.length() - 1);
        }
        if (d.equals("true") || d.equals("false")) {
            return d;
        }
        Matcher dur = DURATION.matcher(d);
        if (dur.matches()) {
            return dur.group(2) + switch (dur.group(1)) {
                case "Millis" -> "ms";
                case "Seconds" -> "s";
                case "Minutes" -> "m";
                default -> "h";
            };
        }
        if (d.matches("[0-9_L* ]+")) {
            long product = 1;
            for (String factor : d.split("\\*")) {
                product *= Long.parseLong(factor.trim().replace("_", "").replace("L", ""));
            }
            return Long.toString(product);
        }
        return null;
    }

    /** The first {@code `…`} of a docs cell, or null when it shows none (none, empty, computed). */
    private static String firstLiteral(String cell) {
        Matcher m = Pattern.compile("`([^`]*)`").matcher(cell);
        return m.find() ? m.group(1) : null;
    }

    /** The docs' settings tables: variable → YAML key, default cell. */
    private static Map<String, String[]> docs() throws IOException {
        Map<String, String[]> rows = new LinkedHashMap<>();
        for (String line : Files.readAllLines(ROOT.resolve("docs/configuration.md"))) {
            Matcher m = ROW.matcher(line);
            if (m.find()) {
                rows.put(m.group(1), new String[]{m.group(2), m.group(3)});
            }
        }
        return rows;
    }
}
