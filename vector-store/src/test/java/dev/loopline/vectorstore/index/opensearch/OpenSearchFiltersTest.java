package dev.loopline.vectorstore.index.opensearch;

import dev.loopline.common.json.Json;
import dev.loopline.vectorstore.search.Filter;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The filter DSL sent to OpenSearch, checked against the query shapes its docs define. */
class OpenSearchFiltersTest {

    static String dsl(String filterJson) {
        return Json.string(OpenSearchFilters.toQuery(Filter.parse(Json.parse(filterJson), "filters")));
    }

    @Test
    void comparisonsMapToTypedTermAndRangeQueries() {
        assertEquals("{\"term\":{\"s.author\":\"ann\"}}", dsl("{\"type\":\"eq\",\"key\":\"author\",\"value\":\"ann\"}"));
        assertEquals("{\"term\":{\"n.year\":2020.0}}", dsl("{\"type\":\"eq\",\"key\":\"year\",\"value\":2020}"));
        assertEquals("{\"term\":{\"b.draft\":\"true\"}}", dsl("{\"type\":\"eq\",\"key\":\"draft\",\"value\":true}"));
        assertEquals("{\"bool\":{\"must_not\":[{\"term\":{\"s.a\":\"x\"}}]}}", dsl("{\"type\":\"ne\",\"key\":\"a\",\"value\":\"x\"}"));
        assertEquals("{\"range\":{\"n.year\":{\"gte\":2020.0}}}", dsl("{\"type\":\"gte\",\"key\":\"year\",\"value\":2020}"));
        assertEquals("{\"bool\":{\"should\":[{\"term\":{\"s.a\":\"x\"}},{\"term\":{\"n.a\":1.0}}],\"minimum_should_match\":1}}",
                dsl("{\"type\":\"in\",\"key\":\"a\",\"value\":[\"x\",1]}"));
    }

    @Test
    void compoundsNest() {
        assertEquals("{\"bool\":{\"should\":[{\"term\":{\"s.a\":\"x\"}},{\"bool\":{\"filter\":[{\"range\":{\"n.y\":{\"lt\":3.0}}},"
                        + "{\"bool\":{\"must_not\":[{\"bool\":{\"should\":[{\"term\":{\"s.z\":\"q\"}}],\"minimum_should_match\":1}}]}}]}}],"
                        + "\"minimum_should_match\":1}}",
                dsl("{\"type\":\"or\",\"filters\":[{\"type\":\"eq\",\"key\":\"a\",\"value\":\"x\"},{\"type\":\"and\",\"filters\":["
                        + "{\"type\":\"lt\",\"key\":\"y\",\"value\":3},{\"type\":\"nin\",\"key\":\"z\",\"value\":[\"q\"]}]}]}"));
    }
}
