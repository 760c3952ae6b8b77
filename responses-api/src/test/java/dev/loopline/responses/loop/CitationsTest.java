package dev.loopline.responses.loop;

import dev.loopline.responses.hosted.ToolOutcome.Passage;
import dev.loopline.responses.hosted.ToolOutcome.WebPage;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CitationsTest {
    static Passage hit(String id, String name, String text) {
        return new Passage(id, name, text);
    }

    @Test
    void onlyFilesTheAnswerActuallyRepeatsAreCitedOnceEach() {
        String answer = "According to the notes, the harbour master keeps the spare lens in shed seven.";
        List<Passage> hits = List.of(
                hit("file-a", "harbour.txt", "The harbour master keeps the spare lens in shed seven, behind the nets."),
                hit("file-a", "harbour.txt", "The harbour master keeps the spare lens in shed seven (second chunk)."),
                hit("file-b", "tides.txt", "Spring tides come with the new and the full moon."),
                hit("file-c", "short.txt", "harbour master"));
        var out = Citations.forAnswer(answer, hits);
        assertEquals(1, out.size());
        assertEquals("file-a", out.get(0).get("file_id").asText());
        assertEquals("harbour.txt", out.get(0).get("filename").asText());
        assertEquals(answer.length(), out.get(0).get("index").asInt());
        assertEquals(0, Citations.forAnswer("", hits).size());
    }

    @Test
    void aLinkedOrNamedOrRepeatedPageIsCitedOverItsSpanAndAnUnusedOneIsNot() {
        WebPage tides = new WebPage("https://tides.example.org/tables/", "Tide tables for the south coast",
                "High water at Brighton is at 06:12 and 18:40 on Saturday, with a range of five metres.");
        WebPage moon = new WebPage("https://moon.example.com/phases", "Moon phases", "The full moon falls on the 24th.");
        WebPage unused = new WebPage("https://weather.example.net/", "Weather", "Rain spreading from the west by evening.");
        String answer = "See [the tables](https://tides.example.org/tables/) for details. "
                + "High water at Brighton is at 06:12 and 18:40 on Saturday. Phases: https://moon.example.com/phases.";
        var out = Citations.forAnswer(answer, List.of(tides, moon, unused, tides));
        assertEquals(2, out.size(), out.toString());
        assertEquals("url_citation", out.get(0).get("type").asText());
        assertEquals("https://tides.example.org/tables/", out.get(0).get("url").asText());
        assertEquals("Tide tables for the south coast", out.get(0).get("title").asText());
        assertEquals("[the tables](https://tides.example.org/tables/)",
                answer.substring(out.get(0).get("start_index").asInt(), out.get(0).get("end_index").asInt()));
        assertEquals("https://moon.example.com/phases",
                answer.substring(out.get(1).get("start_index").asInt(), out.get(1).get("end_index").asInt()), "the trailing full stop is not the address");

        String repeated = "Tides first. High water at Brighton is at 06:12 and 18:40 on Saturday! Nothing else.";
        var bySentence = Citations.forAnswer(repeated, List.of(tides, unused));
        assertEquals(1, bySentence.size());
        assertEquals("High water at Brighton is at 06:12 and 18:40 on Saturday!",
                repeated.substring(bySentence.get(0).get("start_index").asInt(), bySentence.get(0).get("end_index").asInt()));
        assertEquals(0, Citations.forAnswer("https://tides.example.org/tablesextra is another page.", List.of(tides)).size(),
                "a longer address is not this page's");
    }

    @Test
    void indicesCountCodePointsAndFileCitationsFollowUrlCitations() {
        WebPage page = new WebPage("https://a.example/x", "A", "");
        String answer = "🌊 https://a.example/x and the harbour master keeps the spare lens in shed seven.";
        var out = Citations.forAnswer(answer, List.of(page,
                hit("file-a", "harbour.txt", "The harbour master keeps the spare lens in shed seven.")));
        assertEquals(2, out.size());
        assertEquals(2, out.get(0).get("start_index").asInt(), "the emoji is one code point, two UTF-16 units");
        assertEquals(2 + "https://a.example/x".length(), out.get(0).get("end_index").asInt());
        assertEquals("file_citation", out.get(1).get("type").asText());
        assertEquals(answer.codePointCount(0, answer.length()), out.get(1).get("index").asInt());
    }
}
