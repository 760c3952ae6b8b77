package dev.loopline.app;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The deployment files stay true to the code (they cannot be applied here: no container runtime):
 * every setting they name exists (is documented in docs/configuration.md, which
 * {@link ConfigurationDocsTest} holds to the code), every service they start exists, and every
 * path the Ingress sends to a service is routed by that service's own code.
 */
class DeploymentFilesTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    /** The source folders of each service ({@code admin/} is served with llm-proxy: ServiceCatalog). */
    private static final Map<String, List<String>> MODULE_OF = Map.of("responses-api", List.of("responses-api"),
            "llm-proxy", List.of("llm-proxy", "admin"), "mcp-tools", List.of("mcp-tools"), "vector-store", List.of("vector-store"),
            "sandbox", List.of("sandbox"));

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void everySettingAndServiceTheyNameExists() throws IOException {
        String docs = read(ROOT.resolve("docs/configuration.md"));
        List<String> missing = new ArrayList<>();
        try (Stream<Path> files = Files.walk(ROOT.resolve("deploy"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Matcher m = Pattern.compile("LOOPLINE_[A-Z0-9_]+").matcher(read(f));
                while (m.find()) {
                    if (!docs.contains("`" + m.group() + "`")) {
                        missing.add(m.group() + " (" + ROOT.relativize(f) + ")");
                    }
                }
                Matcher service = Pattern.compile("\"--service\", \"([a-z-]+)\"").matcher(read(f));
                while (service.find()) {
                    assertTrue(ServiceCatalog.NAMES.contains(service.group(1)), service.group(1) + " in " + f);
                }
            }
        }
        assertEquals(List.of(), missing);
    }

    @Test
    void everyIngressPathIsRoutedByTheServiceItGoesTo() throws IOException {
        String split = read(ROOT.resolve("deploy/kubernetes/split.yaml"));
        Matcher m = Pattern.compile("- path: (\\S+)\\s+pathType: Prefix\\s+backend: \\{service: \\{name: ([a-z-]+),").matcher(split);
        Map<String, String> routes = new LinkedHashMap<>();
        while (m.find()) {
            routes.put(m.group(1), m.group(2));
        }
        assertTrue(routes.size() >= 14, routes.toString());
        List<String> wrong = new ArrayList<>();
        for (var e : routes.entrySet()) {
            List<String> modules = MODULE_OF.get(e.getValue());
            boolean routed = false;
            for (String module : modules == null ? List.<String>of() : modules) {
                routed |= sourceMentions(ROOT.resolve(module).resolve("src/main/java"), "\"" + e.getKey());
            }
            if (!routed) {
                wrong.add(e.getKey() + " → " + e.getValue());
            }
        }
        assertEquals(List.of(), wrong, "paths the Ingress sends to a service whose code does not route them");
        // The docs' path table names the same prefixes.
        String deployment = read(ROOT.resolve("docs/deployment.md"));
        TreeSet<String> undocumented = new TreeSet<>();
        routes.keySet().forEach(p -> {
            if (!deployment.contains("`" + p + "`") && !deployment.contains("`" + p + "` (")) {
                undocumented.add(p);
            }
        });
        assertEquals(new TreeSet<>(), undocumented);
    }

    private static boolean sourceMentions(Path dir, String literal) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> p.toString().endsWith(".java")).anyMatch(p -> read(p).contains(literal));
        }
    }
}
