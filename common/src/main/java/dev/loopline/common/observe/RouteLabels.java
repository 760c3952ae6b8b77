package dev.loopline.common.observe;

import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.ServerRequest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@code route} label of a request's metrics, from the routing table, never from the client's
 * path: the route that matched, written as its template ({@code /v1/responses/{id}}); one shared
 * label for requests no route took ({@link #UNMATCHED}) and one for requests refused before
 * routing for want of a credential ({@link #UNAUTHENTICATED}). Helidon 4.1 does not say which
 * pattern matched, so the template is rebuilt from the path and the parameters the route bound:
 * each segment that is a parameter's value becomes {@code {name}}.
 */
public final class RouteLabels {
    public static final String UNMATCHED = "unmatched";
    public static final String UNAUTHENTICATED = "unauthenticated";
    private static final String KEY = "loopline.metrics.route";

    private RouteLabels() {
    }

    /** Labels the request as one no route serves, or one refused before routing. */
    public static void mark(ServerRequest req, String label) {
        req.context().register(KEY, label);
    }

    public static void mark(RoutingRequest req, String label) {
        req.context().register(KEY, label);
    }

    /** The label, once the request has been through routing. */
    static String of(RoutingRequest req) {
        String marked = req.context().get(KEY, String.class).orElse(null);
        if (marked != null) {
            return marked;
        }
        return template(req.path().absolute().path(), req.path().pathParameters().toMap());
    }

    /** {@code /v1/files/file-1/content} with {@code id=file-1} → {@code /v1/files/{id}/content}. */
    static String template(String path, Map<String, List<String>> parameters) {
        if (parameters.isEmpty()) {
            return path;
        }
        List<Map.Entry<String, String>> left = new ArrayList<>();
        parameters.forEach((name, values) -> values.forEach(v -> left.add(Map.entry(name, v))));
        String[] segments = path.split("/", -1);
        for (int i = 0; i < segments.length; i++) {
            for (int k = 0; k < left.size(); k++) {
                if (left.get(k).getValue().equals(segments[i])) {
                    segments[i] = "{" + left.get(k).getKey() + "}";
                    left.remove(k);
                    break;
                }
            }
        }
        return String.join("/", segments);
    }
}
