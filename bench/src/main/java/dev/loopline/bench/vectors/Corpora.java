package dev.loopline.bench.vectors;

import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
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
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Real sentences for the vector benchmarks, de-duplicated, 6–60 words, starting with a
 * capital letter and mostly letters (no code), in a fixed order so every run embeds the same text.
 * First the Javadoc comments of the JDK's own sources ({@code $JAVA_HOME/lib/src.zip}, ~160k);
 * beyond that, documentation that Debian packages install (kernel, Python, Perl, Go, Rust,
 * PostgreSQL, Emacs and GNU manuals, man pages, and two dictionaries), about 1.07M in all: enough
 * for the 1M-vector benchmark on a machine without internet access. The man pages include the
 * translated ones Debian installs under {@code /usr/share/man/<lang>/}, so about 1% of the corpus
 * is German, French and other languages; the model embeds them all the same.
 */
final class Corpora {
    private static final Pattern COMMENT = Pattern.compile("/\\*\\*(.*?)\\*/", Pattern.DOTALL);
    private static final Pattern PARAGRAPH = Pattern.compile("\\n\\s*\\n");

    /** A Debian-installed text source: where its files are, and how one file becomes prose paragraphs. */
    private record Source(String debianPackage, Path root, Predicate<Path> wanted, Function<String, List<String>> paragraphs) {
    }

    private static final List<Source> DEBIAN = List.of(
            new Source("linux-doc-6.1", Path.of("/usr/share/doc/linux-doc-6.1/Documentation"), endsWith(".rst.gz"), Corpora::restructuredText),
            new Source("python3.11-doc", Path.of("/usr/share/doc/python3.11/html/_sources"), endsWith(".txt"), Corpora::restructuredText),
            new Source("perl-doc", Path.of("/usr/share/perl/5.36/pod"), endsWith(".pod"), Corpora::pod),
            new Source("man-db (man pages)", Path.of("/usr/share/man"), name -> name.getParent().getFileName().toString().matches("man[1-8]") && name.toString().endsWith(".gz"), Corpora::manPage),
            new Source("dict-gcide", Path.of("/usr/share/dictd"), name -> name.getFileName().toString().equals("gcide.dict.dz"), Corpora::gcide),
            new Source("wordnet-base", Path.of("/usr/share/wordnet"), name -> name.getFileName().toString().startsWith("data."), Corpora::wordnet),
            new Source("golang-1.19-src", Path.of("/usr/share/go-1.19/src"), endsWith(".go"), Corpora::goComments),
            new Source("postgresql-doc-15", Path.of("/usr/share/doc/postgresql-doc-15/html"), endsWith(".html"), Corpora::html),
            new Source("rust-doc", Path.of("/usr/share/doc/rust-doc/html"), endsWith(".html"), Corpora::html),
            new Source("emacs-el", Path.of("/usr/share/emacs"), endsWith(".el.gz"), Corpora::emacsLisp),
            new Source("info (GNU manuals)", Path.of("/usr/share/info"), endsWith(".info.gz"), text -> List.of(PARAGRAPH.split(text))));

    private Corpora() {
    }

    private static Predicate<Path> endsWith(String suffix) {
        return p -> p.getFileName().toString().endsWith(suffix);
    }

    /** The Javadoc sentences alone (the ingestion benchmark's prose). */
    static List<String> javadocSentences(int wanted) throws IOException {
        Set<String> out = new LinkedHashSet<>();
        if (addJavadoc(out, wanted)) {
            return new ArrayList<>(out);
        }
        throw new IllegalStateException("src.zip gave only " + out.size() + " sentences, fewer than " + wanted);
    }

    /** Javadoc first, then the Debian sources in a fixed order, until {@code wanted} distinct sentences. */
    static List<String> sentences(int wanted) throws IOException {
        Set<String> out = new LinkedHashSet<>();
        if (addJavadoc(out, wanted)) {
            return new ArrayList<>(out);
        }
        List<String> missing = new ArrayList<>();
        for (Source source : DEBIAN) {
            if (!Files.isDirectory(source.root())) {
                missing.add(source.debianPackage());
                continue;
            }
            for (Path file : files(source)) {
                for (String paragraph : source.paragraphs().apply(read(file))) {
                    if (addSentences(out, paragraph, wanted)) {
                        return new ArrayList<>(out);
                    }
                }
            }
        }
        throw new IllegalStateException("found only " + out.size() + " distinct sentences, fewer than " + wanted
                + (missing.isEmpty() ? "" : "; install the Debian packages " + String.join(", ", missing)));
    }

    private static boolean addJavadoc(Set<String> out, int wanted) throws IOException {
        Path src = Path.of(System.getProperty("java.home"), "lib", "src.zip");
        if (!Files.exists(src)) {
            throw new IllegalStateException("this JDK has no lib/src.zip to take sentences from: " + src);
        }
        try (ZipFile zip = new ZipFile(src.toFile())) {
            List<? extends ZipEntry> entries = Collections.list(zip.entries()).stream()
                    .filter(e -> e.getName().endsWith(".java")).sorted(Comparator.comparing(ZipEntry::getName)).toList();
            for (ZipEntry e : entries) {
                String source;
                try (InputStream in = zip.getInputStream(e)) {
                    source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
                Matcher m = COMMENT.matcher(source);
                while (m.find()) {
                    if (addSentences(out, clean(m.group(1)), wanted)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** Splits one paragraph into sentences and keeps the prose ones; true once {@code wanted} are gathered. */
    private static boolean addSentences(Set<String> out, String paragraph, int wanted) {
        String text = paragraph.replaceAll("\\s+", " ").strip();
        BreakIterator sentences = BreakIterator.getSentenceInstance(Locale.ENGLISH);
        sentences.setText(text);
        for (int start = sentences.first(), end = sentences.next(); end != BreakIterator.DONE; start = end, end = sentences.next()) {
            String s = text.substring(start, end).strip();
            if (isProse(s)) {
                out.add(s);
                if (out.size() >= wanted) {
                    return true;
                }
            }
        }
        return false;
    }

    static boolean isProse(String s) {
        if (s.isEmpty() || !Character.isUpperCase(s.charAt(0))) {
            return false;
        }
        int words = s.split(" ").length;
        if (words < 6 || words > 60) {
            return false;
        }
        long letters = s.chars().filter(c -> Character.isLetter(c) || c == ' ').count();
        return letters >= 0.85 * s.length();
    }

    private static List<Path> files(Source source) throws IOException {
        try (Stream<Path> walk = Files.walk(source.root())) {
            return walk.filter(Files::isRegularFile).filter(source.wanted()).sorted().toList();
        }
    }

    private static String read(Path file) {
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = file.toString().endsWith(".gz") || file.toString().endsWith(".dz") ? new GZIPInputStream(raw) : raw) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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

    /** Paragraphs that are not indented (indented ones are code, examples or tables). */
    private static List<String> flushParagraphs(String text) {
        List<String> out = new ArrayList<>();
        for (String p : PARAGRAPH.split(text)) {
            String trimmed = p.replaceFirst("^\\n+", "");
            if (!trimmed.startsWith(" ") && !trimmed.startsWith("\t")) {
                out.add(trimmed);
            }
        }
        return out;
    }

    private static List<String> restructuredText(String text) {
        String t = text.replaceAll("(?m)^\\.\\. .*$", " ")
                .replaceAll(":[a-z:]+:`([^`<]*)(<[^>]*>)?`", "$1")
                .replaceAll("[`*]+", "")
                .replaceAll("(?m)^[=\\-~^\"#*+]{3,}\\s*$", "\n");
        return flushParagraphs(t);
    }

    private static List<String> pod(String text) {
        return flushParagraphs(text.replaceAll("(?m)^=.*$", "\n").replaceAll("[A-Z]<+([^>]*)>+", "$1"));
    }

    private static List<String> manPage(String text) {
        StringBuilder b = new StringBuilder();
        for (String line : text.split("\n")) {
            if (line.startsWith(".") || line.startsWith("'")) {
                if (line.startsWith(".B ") || line.startsWith(".I ")) {
                    b.append(line.substring(3)).append('\n');
                } else if (line.matches("\\.(PP|SH|TP|IP|LP|P)\\b.*")) {
                    b.append("\n\n");
                }
                continue;
            }
            b.append(line).append('\n');
        }
        String t = b.toString().replace("\\-", "-").replace("\\ ", " ")
                .replaceAll("\\\\f[BIRP]|\\\\f\\(..|\\\\\\(..|\\\\&|\\\\e", "");
        return List.of(PARAGRAPH.split(t));
    }

    /** GCIDE: each definition and quotation is a block closed by a source tag such as [1913 Webster]. */
    private static List<String> gcide(String text) {
        List<String> out = new ArrayList<>();
        for (String block : text.split("\\[[^\\]\\n]{0,30}]")) {
            String b = block.strip().replaceAll("--\\s*[A-Z][\\w. ]*\\.?\\s*$", "")
                    .replaceAll("^\\s*(\\d+\\.|\\([a-z]\\))\\s*", "")
                    .replaceAll("\\{([^}]*)}", "$1");
            if (!b.contains("\\")) {
                out.add(b);
            }
        }
        return out;
    }

    /** WordNet: the gloss after "|" on each synset line, split into its definition and examples. */
    private static List<String> wordnet(String text) {
        List<String> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            int bar = line.indexOf('|');
            if (bar < 0 || line.startsWith(" ")) {
                continue;
            }
            for (String part : line.substring(bar + 1).split(";")) {
                String p = part.strip().replaceAll("^\"|\"$", "").strip();
                if (!p.isEmpty()) {
                    out.add(Character.toUpperCase(p.charAt(0)) + p.substring(1) + (p.endsWith(".") ? "" : "."));
                }
            }
        }
        return out;
    }

    private static List<String> goComments(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : text.split("\n")) {
            String s = line.strip();
            if (s.startsWith("//") && !s.startsWith("//go:")) {
                if (!s.startsWith("//\t") && !s.startsWith("// \t")) {
                    current.append(s.substring(2)).append(' ');
                }
            } else if (!current.isEmpty()) {
                out.add(current.toString());
                current.setLength(0);
            }
        }
        return out;
    }

    private static List<String> html(String text) {
        Document doc = Jsoup.parse(text);
        doc.select("pre, code, script, style").remove();
        List<String> out = new ArrayList<>();
        for (Element e : doc.select("p, li, dd")) {
            out.add(e.ownText().isEmpty() ? "" : e.text());
        }
        return out;
    }

    /** Emacs Lisp: docstrings (long string literals) and ;-comment blocks. */
    private static List<String> emacsLisp(String text) {
        List<String> out = new ArrayList<>();
        for (int i = text.indexOf('"'); i >= 0 && i < text.length(); ) {
            int close = i + 1;
            while (close < text.length() && text.charAt(close) != '"') {
                close += text.charAt(close) == '\\' ? 2 : 1;
            }
            if (close - i - 1 >= 40 && close < text.length()) {
                out.add(text.substring(i + 1, close).replace("\\\n", " ").replace("\\\"", "\"").replace("`", ""));
            }
            i = close + 1 < text.length() ? text.indexOf('"', close + 1) : -1;
        }
        StringBuilder comment = new StringBuilder();
        for (String line : text.split("\n")) {
            String s = line.strip();
            if (s.startsWith(";")) {
                comment.append(s.replaceFirst("^;+ ?", "").replace("`", "")).append('\n');
            } else if (!comment.isEmpty()) {
                out.add(comment.toString());
                comment.setLength(0);
            }
        }
        return out;
    }
}
