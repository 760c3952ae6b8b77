package dev.loopline.responses.hosted;

import java.time.Duration;
import java.util.Set;
import java.util.function.LongConsumer;

/**
 * What one hosted call runs with.
 *
 * @param round     the loop round (for the execution row)
 * @param include   the request's {@code include} values (what the items carry)
 * @param timeout   the longest the call may take (the tool timeout, or what is left of the response's deadline)
 * @param toolNanos told how long the tool itself ran, when its server says so (the loop's round clock)
 */
public record RunContext(int round, Set<String> include, Duration timeout, LongConsumer toolNanos) {
}
