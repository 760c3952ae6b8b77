package dev.loopline.bench.vectors;

import dev.loopline.vectorstore.embed.OnnxMiniLm;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Embeds a sentence list once and keeps the vectors under target/bench-cache, so reruns skip the
 * slow part. Vectors are appended to a {@code .partial} file batch by batch, so an interrupted
 * run (a million sentences take most of an hour on two cores) resumes where it stopped.
 */
final class EmbeddingCache {
    private static final int BATCH = 256;

    private EmbeddingCache() {
    }

    record Embedded(List<float[]> vectors, double sentencesPerSecond) {
    }

    static Embedded embed(OnnxMiniLm model, List<String> texts, String name) throws IOException {
        Path file = Path.of("target", "bench-cache", model.model() + "-" + name + "-" + texts.size() + "-" + Integer.toHexString(texts.hashCode()) + ".f32");
        if (Files.exists(file)) {
            return new Embedded(read(file, model.dimensions(), texts.size()), Double.NaN);
        }
        Files.createDirectories(file.getParent());
        Path partial = file.resolveSibling(file.getFileName() + ".partial");
        int done = 0;
        if (Files.exists(partial)) {
            done = (int) Math.min(texts.size(), Files.size(partial) / (4L * model.dimensions()) / BATCH * BATCH);
            try (var channel = FileChannel.open(partial, StandardOpenOption.WRITE)) {
                channel.truncate(4L * model.dimensions() * done); // drop a half-written batch
            }
        }
        List<float[]> out = new ArrayList<>(read(partial, model.dimensions(), done));
        if (done > 0) {
            System.err.printf("resuming: %d of %d already embedded%n", done, texts.size());
        }
        long t0 = System.nanoTime();
        try (DataOutputStream o = new DataOutputStream(new BufferedOutputStream(
                Files.newOutputStream(partial, StandardOpenOption.CREATE, StandardOpenOption.APPEND), 1 << 20))) {
            for (int from = done; from < texts.size(); from += BATCH) {
                List<float[]> batch = model.embedDocuments(texts.subList(from, Math.min(texts.size(), from + BATCH)));
                for (float[] v : batch) {
                    for (float x : v) {
                        o.writeFloat(x);
                    }
                }
                o.flush();
                out.addAll(batch);
                if ((from / BATCH) % 40 == 0) {
                    System.err.printf("embedded %d/%d%n", from, texts.size());
                }
            }
        }
        double rate = (texts.size() - done) / ((System.nanoTime() - t0) / 1e9);
        Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE);
        return new Embedded(out, rate);
    }

    private static List<float[]> read(Path file, int dimensions, int count) throws IOException {
        List<float[]> out = new ArrayList<>(count);
        if (count == 0) {
            return out;
        }
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 20))) {
            for (int i = 0; i < count; i++) {
                float[] v = new float[dimensions];
                for (int d = 0; d < v.length; d++) {
                    v[d] = in.readFloat();
                }
                out.add(v);
            }
        }
        return out;
    }
}
