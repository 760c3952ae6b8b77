package dev.loopline.mcp.tools.websearch;

import dev.loopline.mcp.tools.ToolContext;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/** One place web_search can ask: SearXNG, Serper or the local corpus. */
public interface SearchBackend {
    String name();

    List<Result> search(Query q, ToolContext ctx) throws Failure;

    /**
     * {@code timeRange}: null, day, week, month or year. {@code allowedDomains}: empty means any.
     * {@code location}: where the user is, for backends that localise results; null when unknown.
     */
    record Query(String text, int maxResults, List<String> allowedDomains, String timeRange, Location location) {
        public Query(String text, int maxResults, List<String> allowedDomains, String timeRange) {
            this(text, maxResults, allowedDomains, timeRange, null);
        }

        /** Whether a result URL is on one of the allowed domains (or a subdomain of one). */
        public boolean allows(String url) {
            if (allowedDomains.isEmpty()) {
                return true;
            }
            String host;
            try {
                host = URI.create(url).getHost();
            } catch (IllegalArgumentException e) {
                return false;
            }
            if (host == null) {
                return false;
            }
            host = host.toLowerCase(Locale.ROOT);
            for (String d : allowedDomains) {
                if (host.equals(d) || host.endsWith("." + d)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** The user's approximate location (OpenAI's {@code user_location}); any field may be null. */
    record Location(String country, String region, String city, String timezone) {
        /** "city, region, country" from the parts that are there. */
        public String place() {
            return String.join(", ", Stream.of(city, region, country).filter(s -> s != null && !s.isBlank()).toList());
        }

        @Override
        public String toString() {
            return place() + "|" + (timezone == null ? "" : timezone);
        }
    }

    record Result(String title, String url, String snippet, String publishedDate, String source) {
    }

    /** The backend could not answer (down, refused, rate limited, or answered nothing usable). */
    final class Failure extends Exception {
        public Failure(String message) {
            super(message, null, false, false);
        }
    }
}
