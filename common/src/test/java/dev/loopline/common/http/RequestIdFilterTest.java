package dev.loopline.common.http;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Generated ids: {@code req_} and 32 lower-case hex digits, no repeats. */
class RequestIdFilterTest {
    @Test
    void generatedIdsAreWellFormedAndDistinct() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 100_000; i++) {
            String id = RequestIdFilter.newId();
            assertTrue(id.matches("req_[0-9a-f]{32}"), id);
            seen.add(id);
        }
        assertEquals(100_000, seen.size());
    }
}
