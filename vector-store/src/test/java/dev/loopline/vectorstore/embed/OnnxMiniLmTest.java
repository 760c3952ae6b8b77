package dev.loopline.vectorstore.embed;

import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OnnxMiniLmTest {
    private static OnnxMiniLm model;

    @BeforeAll
    static void load() {
        model = OnnxMiniLm.load(false, 2);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static double cos(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    @Test
    void batchedVectorsMatchTheReferenceOneAtATimeImplementation() {
        List<String> texts = List.of("The cat sat on the mat.",
                "Lucene builds an HNSW graph per segment for approximate nearest-neighbour search.",
                "short", "A somewhat longer sentence, with punctuation; and clauses, to vary the padding in the batch!");
        List<float[]> ours = model.embedDocuments(texts);
        AllMiniLmL6V2EmbeddingModel reference = new AllMiniLmL6V2EmbeddingModel();
        for (int i = 0; i < texts.size(); i++) {
            float[] ref = reference.embed(TextSegment.from(texts.get(i))).content().vector();
            assertEquals(384, ours.get(i).length);
            assertTrue(cos(ours.get(i), ref) > 0.9999, "text " + i + " cos " + cos(ours.get(i), ref));
        }
    }

    @Test
    void similarMeaningIsCloserThanUnrelatedMeaning() {
        List<float[]> v = model.embedQueries(List.of("How do I reset my password?",
                "Steps to recover a forgotten login password", "Quarterly revenue grew by eight percent"));
        assertTrue(cos(v.get(0), v.get(1)) > cos(v.get(0), v.get(2)) + 0.3);
        double norm = 0;
        for (float x : v.get(0)) {
            norm += x * x;
        }
        assertEquals(1.0, norm, 1e-4);
    }

    @Test
    void textsLongerThanTheWindowAreEmbeddedWholeNotTruncated() {
        String head = "Photosynthesis converts light energy into chemical energy in plants. ".repeat(40);
        String tail = " Kubernetes schedules containers onto cluster nodes.".repeat(40);
        float[] whole = model.embedDocuments(List.of(head + tail)).getFirst();
        float[] headOnly = model.embedDocuments(List.of(head)).getFirst();
        float[] k8s = model.embedQueries(List.of("container scheduling on a cluster")).getFirst();
        assertTrue(model.tokenizer().count(head + tail) > 2 * OnnxMiniLm.WINDOW);
        // The tail beyond the first window still shapes the vector.
        assertTrue(cos(whole, k8s) > cos(headOnly, k8s) + 0.1, cos(whole, k8s) + " vs " + cos(headOnly, k8s));
    }

    @Test
    void tokenizerGivesSpansIntoTheOriginalText() {
        String text = "Hello, wonderful world";
        WordPiece.Tokens t = model.tokenizer().tokenize(text);
        assertTrue(t.size() >= 4);
        assertEquals("Hello", text.substring(t.start()[0], t.end()[0]));
        assertEquals("world", text.substring(t.start()[t.size() - 1], t.end()[t.size() - 1]));
    }
}
