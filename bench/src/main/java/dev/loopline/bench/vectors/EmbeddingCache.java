package dev.loopline.bench.vectors;

import dev.loopline.vectorstore.embed.OnnxMiniLm;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Embeds a sentence list once and keeps the vectors under target/bench-cache, so reruns skip the slow part. */
final class EmbeddingCache {
    private EmbeddingCache() {
    }

    record Embedded(List<float[]> vectors, double sentencesPerSecond) {
    }

    static Embedded embed(OnnxMiniLm model, List<String> texts, String name) throws IOException {
        Path file = Path.of("target", "bench-cache", model.model() + "-" + name + "-" + texts.size() + ".f32");
        if (Files.exists(file)) {
            List<float[]> out = new ArrayList<>(texts.size());
            try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 20))) {
                for (int i = 0; i < texts.size(); i++) {
                    float[] v = new float[model.dimensions()];
                    for (int d = 0; d < v.length; d++) {
                        v[d] = in.readFloat();
                    }
                    out.add(v);
                }
            }
            return new Embedded(out, Double.NaN);
        }
        Files.createDirectories(file.getParent());
        List<float[]> out = new ArrayList<>(texts.size());
        long t0 = System.nanoTime();
        for (int from = 0; from < texts.size(); from += 256) {
            out.addAll(model.embedDocuments(texts.subList(from, Math.min(texts.size(), from + 256))));
            if ((from / 256) % 40 == 0) {
                System.err.printf("embedded %d/%d%n", from, texts.size());
            }
        }
        double rate = texts.size() / ((System.nanoTime() - t0) / 1e9);
        try (DataOutputStream o = new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(file), 1 << 20))) {
            for (float[] v : out) {
                for (float x : v) {
                    o.writeFloat(x);
                }
            }
        }
        return new Embedded(out, rate);
    }
}
