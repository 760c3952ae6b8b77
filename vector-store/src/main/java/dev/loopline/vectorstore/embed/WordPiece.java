package dev.loopline.vectorstore.embed;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The model's own WordPiece tokenizer (the {@code tokenizer.json} shipped with all-MiniLM-L6-v2,
 * run by the Hugging Face tokenizers library through DJL). Chunk sizes are counted with it, so a
 * "256-token chunk" is 256 tokens of the model that embeds it.
 */
public final class WordPiece implements AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;

    private WordPiece(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Loads a tokenizer.json from the classpath. */
    public static WordPiece fromClasspath(String resource) {
        try (InputStream in = WordPiece.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("tokenizer " + resource + " is not on the classpath");
            }
            return new WordPiece(HuggingFaceTokenizer.newInstance(in, Map.of(
                    "addSpecialTokens", "false", "truncation", "false", "padding", "false",
                    "modelMaxLength", Integer.toString(Integer.MAX_VALUE))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Token ids (no [CLS]/[SEP]) and each token's character span in {@code text}. */
    public Tokens tokenize(String text) {
        Encoding e = tokenizer.encode(text, false, false);
        long[] ids = e.getIds();
        CharSpan[] spans = e.getCharTokenSpans();
        int[] start = new int[ids.length];
        int[] end = new int[ids.length];
        int last = 0;
        for (int i = 0; i < ids.length; i++) {
            CharSpan s = spans[i];
            start[i] = s == null ? last : s.getStart();
            end[i] = s == null ? last : s.getEnd();
            last = end[i];
        }
        return new Tokens(ids, start, end);
    }

    /** The ids the model expects around a sequence: [CLS] and [SEP]. */
    public long[] clsSep() {
        long[] ids = tokenizer.encode("", true, false).getIds();
        if (ids.length != 2) {
            throw new IllegalStateException("tokenizer does not frame sequences as [CLS] … [SEP]");
        }
        return ids;
    }

    public int count(String text) {
        return tokenizer.encode(text, false, false).getIds().length;
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    /** A tokenized text: ids and, per token, the [start, end) of its characters. */
    public record Tokens(long[] ids, int[] start, int[] end) {
        public int size() {
            return ids.length;
        }
    }
}
