package dev.loopline.vectorstore.search;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.errors.ApiException;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * An attribute filter ({@code ComparisonFilter} / {@code CompoundFilter}), parsed and checked once,
 * then translated by each index backend into its own query language, so filtering happens inside
 * the search (pre-filtering), never on a truncated result list.
 *
 * <p>Semantics: {@code eq}/{@code in} match files whose attribute has that value (numbers compare
 * as numbers, so 2 equals 2.0); {@code ne}/{@code nin} are their exact complements, so they also
 * match files without the attribute; {@code gt/gte/lt/lte} need a number and match only numeric
 * attributes.
 *
 * <p>Bounds (a 400 past them): {@value #MAX_DEPTH} levels of nesting, {@value #MAX_COMPARISONS}
 * comparisons in one filter, {@value #MAX_VALUES} values in one {@code in}/{@code nin}.
 */
public sealed interface Filter {
    int MAX_DEPTH = 16;
    int MAX_COMPARISONS = 256;
    int MAX_VALUES = 10_000;
    Set<String> COMPARISONS = Set.of("eq", "ne", "gt", "gte", "lt", "lte", "in", "nin");

    /** A single value: String, Double or Boolean. */
    record Comparison(String op, String key, List<Object> values) implements Filter {
        public Object value() {
            return values.getFirst();
        }
    }

    record Compound(String op, List<Filter> filters) implements Filter {
    }

    static Filter parse(JsonNode node, String param) {
        return parse(node, param, 0, new Count());
    }

    /** Comparisons seen so far in one filter. */
    final class Count {
        private int comparisons;

        private Count() {
        }
    }

    private static Filter parse(JsonNode node, String param, int depth, Count count) {
        if (!node.isObject()) {
            throw ApiException.badRequest(param, "A filter must be an object.");
        }
        if (depth > MAX_DEPTH) {
            throw ApiException.badRequest(param, "Filters nest at most " + MAX_DEPTH + " levels deep.");
        }
        String type = node.path("type").asText("");
        if (type.equals("and") || type.equals("or")) {
            JsonNode list = node.path("filters");
            if (!list.isArray() || list.isEmpty()) {
                throw ApiException.badRequest(param + ".filters", "A compound filter needs a non-empty 'filters' array.");
            }
            List<Filter> children = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                children.add(parse(list.get(i), param + ".filters[" + i + "]", depth + 1, count));
            }
            return new Compound(type, children);
        }
        if (!COMPARISONS.contains(type)) {
            throw ApiException.badRequest(param + ".type",
                    "Unknown filter type '" + type + "'; expected one of eq, ne, gt, gte, lt, lte, in, nin, and, or.");
        }
        if (++count.comparisons > MAX_COMPARISONS) {
            throw ApiException.badRequest(param, "A filter holds at most " + MAX_COMPARISONS + " comparisons.");
        }
        JsonNode key = node.path("key");
        if (!key.isTextual() || key.asText().isEmpty()) {
            throw ApiException.badRequest(param + ".key", "A comparison filter needs a string 'key'.");
        }
        JsonNode value = node.path("value");
        List<Object> values = new ArrayList<>();
        if (type.equals("in") || type.equals("nin")) {
            if (!value.isArray() || value.isEmpty()) {
                throw ApiException.badRequest(param + ".value", "'" + type + "' needs a non-empty array 'value'.");
            }
            if (value.size() > MAX_VALUES) {
                throw ApiException.badRequest(param + ".value", "'" + type + "' takes at most " + MAX_VALUES + " values.");
            }
            for (JsonNode v : value) {
                values.add(scalar(v, param + ".value", false));
            }
        } else {
            values.add(scalar(value, param + ".value", true));
            if (Set.of("gt", "gte", "lt", "lte").contains(type) && !(values.getFirst() instanceof Double)) {
                throw ApiException.badRequest(param + ".value", "'" + type + "' compares numbers; 'value' must be a number.");
            }
        }
        return new Comparison(type, key.asText(), values);
    }

    private static Object scalar(JsonNode v, String param, boolean allowBoolean) {
        if (v.isTextual()) {
            return v.asText();
        }
        if (v.isNumber()) {
            return v.asDouble();
        }
        if (v.isBoolean() && allowBoolean) {
            return v.asBoolean();
        }
        throw ApiException.badRequest(param, "Filter values must be strings, numbers" + (allowBoolean ? " or booleans." : "."));
    }
}
