package dev.loopline.vectorstore.index;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.vectorstore.search.Filter;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.DoublePoint;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermQuery;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Attributes as Lucene fields, and {@link Filter}s as Lucene queries over them. Strings are exact
 * terms in {@code s.<key>}, numbers {@link DoublePoint}s in {@code n.<key>}, booleans terms in
 * {@code b.<key>}, so a string "1" never equals the number 1.
 */
final class LuceneFilters {
    private LuceneFilters() {
    }

    static void addAttributes(Document doc, JsonNode attributes) {
        if (attributes == null) {
            return;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = attributes.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            if (v.isTextual()) {
                doc.add(new StringField("s." + e.getKey(), v.asText(), Field.Store.NO));
            } else if (v.isNumber()) {
                doc.add(new DoublePoint("n." + e.getKey(), v.asDouble()));
            } else if (v.isBoolean()) {
                doc.add(new StringField("b." + e.getKey(), Boolean.toString(v.asBoolean()), Field.Store.NO));
            }
        }
    }

    static Query toQuery(Filter filter) {
        return switch (filter) {
            case Filter.Compound c -> {
                BooleanQuery.Builder b = new BooleanQuery.Builder();
                for (Filter child : c.filters()) {
                    b.add(toQuery(child), c.op().equals("and") ? BooleanClause.Occur.FILTER : BooleanClause.Occur.SHOULD);
                }
                if (c.op().equals("or")) {
                    b.setMinimumNumberShouldMatch(1);
                }
                yield b.build();
            }
            case Filter.Comparison c -> comparison(c);
        };
    }

    private static Query comparison(Filter.Comparison c) {
        String key = c.key();
        return switch (c.op()) {
            case "eq" -> equal(key, c.value());
            case "ne" -> not(equal(key, c.value()));
            case "in" -> anyOf(c);
            case "nin" -> not(anyOf(c));
            case "gt" -> DoublePoint.newRangeQuery("n." + key, Math.nextUp((Double) c.value()), Double.POSITIVE_INFINITY);
            case "gte" -> DoublePoint.newRangeQuery("n." + key, (Double) c.value(), Double.POSITIVE_INFINITY);
            case "lt" -> DoublePoint.newRangeQuery("n." + key, Double.NEGATIVE_INFINITY, Math.nextDown((Double) c.value()));
            case "lte" -> DoublePoint.newRangeQuery("n." + key, Double.NEGATIVE_INFINITY, (Double) c.value());
            default -> throw new IllegalArgumentException(c.op());
        };
    }

    private static Query equal(String key, Object value) {
        return switch (value) {
            case String s -> new TermQuery(new Term("s." + key, s));
            case Double d -> DoublePoint.newExactQuery("n." + key, d);
            case Boolean b -> new TermQuery(new Term("b." + key, b.toString()));
            default -> throw new IllegalArgumentException(String.valueOf(value));
        };
    }

    /**
     * Set membership as one query per value type (a term set, a point set), not one clause per
     * value: Lucene caps a query at 1,024 clauses, and a list that long is legitimate.
     */
    private static Query anyOf(Filter.Comparison c) {
        List<BytesRef> strings = new ArrayList<>();
        List<Double> numbers = new ArrayList<>();
        for (Object v : c.values()) {
            switch (v) {
                case String s -> strings.add(new BytesRef(s));
                case Double d -> numbers.add(d);
                default -> throw new IllegalArgumentException(String.valueOf(v));
            }
        }
        BooleanQuery.Builder b = new BooleanQuery.Builder().setMinimumNumberShouldMatch(1);
        if (!strings.isEmpty()) {
            b.add(new TermInSetQuery("s." + c.key(), strings), BooleanClause.Occur.SHOULD);
        }
        if (!numbers.isEmpty()) {
            b.add(DoublePoint.newSetQuery("n." + c.key(), numbers.stream().mapToDouble(Double::doubleValue).toArray()), BooleanClause.Occur.SHOULD);
        }
        return b.build();
    }

    private static Query not(Query q) {
        return new BooleanQuery.Builder()
                .add(new MatchAllDocsQuery(), BooleanClause.Occur.FILTER)
                .add(q, BooleanClause.Occur.MUST_NOT)
                .build();
    }
}
