package dev.loopline.bench.vectors;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Real English sentences for the vector benchmarks: the Javadoc comments of the JDK's own sources
 * ({@code $JAVA_HOME/lib/src.zip}), cleaned of tags and markup, 6–60 words each, de-duplicated, in
 * a fixed order so every run embeds the same text.
 */
final class Corpora {
    private static final Pattern COMMENT = Pattern.compile("/\\*\\*(.*?)\\*/", Pattern.DOTALL);

    private Corpora() {
    }

    static List<String> javadocSentences(int wanted) throws IOException {
        Path src = Path.of(System.getProperty("java.home"), "lib", "src.zip");
        if (!Files.exists(src)) {
            throw new IllegalStateException("this JDK has no lib/src.zip to take sentences from: " + src);
        }
        Set<String> out = new LinkedHashSet<>();
        try (ZipFile zip = new ZipFile(src.toFile())) {
            List<? extends ZipEntry> entries = Collections.list(zip.entries()).stream()
                    .filter(e -> e.getName().endsWith(".java")).sorted(Comparator.comparing(ZipEntry::getName)).toList();
            BreakIterator sentences = BreakIterator.getSentenceInstance(Locale.ENGLISH);
            for (ZipEntry e : entries) {
                String source;
                try (InputStream in = zip.getInputStream(e)) {
                    source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
                Matcher m = COMMENT.matcher(source);
                while (m.find()) {
                    String text = clean(m.group(1));
                    sentences.setText(text);
                    for (int start = sentences.first(), end = sentences.next(); end != BreakIterator.DONE; start = end, end = sentences.next()) {
                        String s = text.substring(start, end).strip();
                        int words = s.split("\\s+").length;
                        if (words >= 6 && words <= 60 && Character.isUpperCase(s.charAt(0))) {
                            out.add(s);
                            if (out.size() >= wanted) {
                                return new ArrayList<>(out);
                            }
                        }
                    }
                }
            }
        }
        throw new IllegalStateException("src.zip gave only " + out.size() + " sentences, fewer than " + wanted);
    }

    static String clean(String comment) {
        StringBuilder b = new StringBuilder();
        for (String line : comment.split("\n")) {
            String l = line.strip();
            if (l.startsWith("*")) {
                l = l.substring(1).strip();
            }
            if (l.startsWith("@")) {
                break; // block tags (@param, @return…) end the description
            }
            b.append(l).append(' ');
        }
        return b.toString()
                .replaceAll("\\{@(?:code|link|linkplain|literal|value)\\s+([^}]*)}", "$1")
                .replaceAll("<[^>]+>", " ")
                .replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&")
                .replaceAll("\\s+", " ").strip();
    }
}
