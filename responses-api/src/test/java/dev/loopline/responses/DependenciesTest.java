package dev.loopline.responses;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * responses-api running alone ({@code --service responses-api}) carries none of the vector
 * store's heavy libraries: document text comes from vector-store over HTTP
 * ({@code POST /v1/documents/text}). This module's class path is the proof: were the dependency
 * back, these classes would load.
 */
class DependenciesTest {
    @Test
    void noLuceneOnnxOrPdfBoxOnTheClassPath() {
        for (String heavy : List.of("org.apache.lucene.index.IndexWriter", "ai.onnxruntime.OrtEnvironment",
                "org.apache.pdfbox.Loader", "dev.loopline.vectorstore.parse.DocumentParser")) {
            assertThrows(ClassNotFoundException.class, () -> Class.forName(heavy), heavy + " is on responses-api's class path");
        }
    }
}
