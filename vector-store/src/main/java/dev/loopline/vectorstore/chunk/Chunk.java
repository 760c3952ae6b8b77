package dev.loopline.vectorstore.chunk;

/** One piece of a file: its position in the file, its text and its size in model tokens. */
public record Chunk(int ordinal, String text, int tokens) {
}
