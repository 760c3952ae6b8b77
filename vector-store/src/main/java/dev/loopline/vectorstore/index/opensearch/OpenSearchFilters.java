package dev.loopline.vectorstore.index.opensearch;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;
import dev.loopline.vectorstore.search.Filter;

/**
 * {@link Filter}s as OpenSearch query DSL over the same typed attribute fields as the Lucene
 * backend ({@code s.<key>} keyword, {@code n.<key>} double, {@code b.<key>} keyword), with the
 * same semantics (ne/nin also match files without the attribute).
 */
final class OpenSearchFilters {
    private OpenSearchFilters() {
    }

    static ObjectNode toQuery(Filter filter) {
        return switch (filter) {
            case Filter.Compound c -> {
                ObjectNode q = Json.object();
                ObjectNode bool = q.putObject("bool");
                ArrayNode clauses = bool.putArray(c.op().equals("and") ? "filter" : "should");
                c.filters().forEach(f -> clauses.add(toQuery(f)));
                if (c.op().equals("or")) {
                    bool.put("minimum_should_match", 1);
                }
                yield q;
            }
            case Filter.Comparison c -> comparison(c);
        };
    }

    private static ObjectNode comparison(Filter.Comparison c) {
        return switch (c.op()) {
            case "eq" -> equal(c.key(), c.value());
            case "ne" -> not(equal(c.key(), c.value()));
            case "in" -> anyOf(c);
            case "nin" -> not(anyOf(c));
            case "gt", "gte", "lt", "lte" -> {
                ObjectNode q = Json.object();
                q.putObject("range").putObject("n." + c.key()).put(c.op(), (Double) c.value());
                yield q;
            }
            default -> throw new IllegalArgumentException(c.op());
        };
    }

    private static String field(String key, Object value) {
        return switch (value) {
            case String s -> "s." + key;
            case Double d -> "n." + key;
            default -> "b." + key;
        };
    }

    private static ObjectNode equal(String key, Object value) {
        ObjectNode q = Json.object();
        ObjectNode term = q.putObject("term");
        switch (value) {
            case String s -> term.put(field(key, value), s);
            case Double d -> term.put(field(key, value), d);
            default -> term.put(field(key, value), value.toString());
        }
        return q;
    }

    private static ObjectNode anyOf(Filter.Comparison c) {
        ObjectNode q = Json.object();
        ObjectNode bool = q.putObject("bool");
        ArrayNode should = bool.putArray("should");
        c.values().forEach(v -> should.add(equal(c.key(), v)));
        bool.put("minimum_should_match", 1);
        return q;
    }

    private static ObjectNode not(ObjectNode inner) {
        ObjectNode q = Json.object();
        q.putObject("bool").putArray("must_not").add(inner);
        return q;
    }
}
