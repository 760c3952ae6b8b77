package dev.loopline.responses.loop;

import dev.loopline.responses.hosted.ToolOutcome.Passage;
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
}
