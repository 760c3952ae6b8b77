package dev.loopline.mcp.tools.websearch;

import dev.loopline.mcp.tools.ToolContext;

import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The offline backend: BM25 over the operator's corpus ({@link LocalCorpus}), filtered by domain and date. */
public final class LocalBackend implements SearchBackend {
    private static final Map<String, Integer> DAYS = Map.of("day", 1, "week", 7, "month", 31, "year", 366);
    private final LocalCorpus corpus;

    public LocalBackend(LocalCorpus corpus) {
        this.corpus = corpus;
    }

    @Override
    public String name() {
        return "local";
    }

    @Override
    public List<Result> search(Query q, ToolContext ctx) {
        List<Result> out = new ArrayList<>();
        // Over-fetch so filters still leave enough results.
        for (LocalCorpus.Hit h : corpus.search(q.text(), Math.min(200, q.maxResults() * 10))) {
            if (!q.allows(h.url()) || !recent(h.publishedDate(), q.timeRange())) {
                continue;
            }
            String date = h.publishedDate() == null || h.publishedDate().isEmpty() ? null : h.publishedDate();
            out.add(new Result(h.title(), h.url(), h.snippet(), date, "local"));
            if (out.size() == q.maxResults()) {
                break;
            }
        }
        return out;
    }

    private static boolean recent(String published, String range) {
        if (range == null) {
            return true;
        }
        if (published == null || published.length() < 10) {
            return false;
        }
        try {
            return !LocalDate.parse(published.substring(0, 10)).isBefore(LocalDate.now().minusDays(DAYS.get(range)));
        } catch (DateTimeParseException e) {
            return false;
        }
    }
}
