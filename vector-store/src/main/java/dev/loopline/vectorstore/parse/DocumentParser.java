package dev.loopline.vectorstore.parse;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.json.Json;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.encryption.InvalidPasswordException;
import org.apache.pdfbox.text.PDFTextStripper;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;

import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Turns an uploaded file into plain text with paragraph breaks ({@code \n\n}) kept, so the chunker
 * can split on them. The type comes from the file name's extension, then the declared content type,
 * then the bytes themselves ({@link #sniff}: a file uploaded as {@code upload},
 * {@code application/octet-stream} is still read when it is a PDF, JSON, HTML or text).
 * Supported: plain text and source code, Markdown, HTML (jsoup), JSON, CSV (commons-csv) and PDF
 * (PDFBox). Anything else is {@link UnsupportedFile}; a file of a supported type whose bytes are
 * not what it claims is {@link InvalidFile}.
 */
public final class DocumentParser {
    private static final Set<String> TEXT = Set.of("txt", "text", "log", "rst", "tex", "py", "java", "js", "ts", "go", "rb", "rs",
            "c", "cc", "cpp", "h", "hpp", "cs", "php", "sh", "css", "kt", "scala", "sql", "yaml", "yml", "toml", "ini", "xml");
    private static final Set<String> MARKDOWN = Set.of("md", "markdown");
    private static final Set<String> HTML = Set.of("html", "htm", "xhtml");
    private static final Map<String, String> BY_MEDIA_TYPE = Map.of(
            "text/plain", "txt", "text/markdown", "md", "text/html", "html", "application/json", "json",
            "text/csv", "csv", "application/pdf", "pdf", "application/xhtml+xml", "html");

    private DocumentParser() {
    }

    /** The kind the parser will treat this file as, or null when unsupported. */
    public static String kind(String filename, String contentType) {
        String ext = extension(filename);
        if (ext != null && (TEXT.contains(ext) || MARKDOWN.contains(ext) || HTML.contains(ext) || ext.equals("json")
                || ext.equals("csv") || ext.equals("pdf"))) {
            return MARKDOWN.contains(ext) ? "md" : HTML.contains(ext) ? "html" : TEXT.contains(ext) ? "txt" : ext;
        }
        if (contentType != null) {
            String media = contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
            return BY_MEDIA_TYPE.get(media);
        }
        return null;
    }

    /**
     * The kind of a file whose name and declared type say nothing useful, from its first bytes: a PDF
     * by its signature, HTML by its opening tag, JSON when it opens like JSON and the head parses as
     * far as it goes, text when the head is UTF-8 (or has a UTF-16 BOM) without NULs; null (not
     * readable) otherwise.
     */
    public static String sniff(byte[] head) {
        if (head.length == 0) {
            return null;
        }
        String start = new String(head, 0, Math.min(head.length, 1024), StandardCharsets.ISO_8859_1).stripLeading();
        if (start.startsWith("%PDF-")) {
            return "pdf";
        }
        String text = null;
        for (int cut = 0; text == null && cut <= Math.min(3, head.length - 1); cut++) {
            try {
                text = decode(Arrays.copyOf(head, head.length - cut)); // the head may end inside a character
            } catch (InvalidFile e) {
                // try a byte shorter
            }
        }
        if (text == null) {
            return null;
        }
        long control = text.chars().filter(c -> c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' || c == 0x7f).count();
        if (control > text.length() / 100) {
            return null; // binary, though it decodes
        }
        String lower = text.stripLeading().toLowerCase(Locale.ROOT);
        if (lower.startsWith("<!doctype html") || lower.startsWith("<html")) {
            return "html";
        }
        if ((lower.startsWith("{") || lower.startsWith("[")) && looksLikeJson(text)) {
            return "json";
        }
        return "txt";
    }

    /** Whether text parses as JSON up to where it ends (the head of a longer file may be cut). */
    private static boolean looksLikeJson(String text) {
        try (JsonParser parser = new JsonFactory().createParser(text)) {
            while (parser.nextToken() != null) {
                // read on: an error is thrown where it is not JSON
            }
            return true;
        } catch (JsonEOFException e) {
            return true; // cut off, not wrong
        } catch (IOException e) {
            return false;
        }
    }

    /** Neither the name (no extension) nor the declared type (none, or a generic binary type) says what the file is. */
    public static boolean uninformative(String filename, String contentType) {
        if (extension(filename) != null) {
            return false;
        }
        String media = contentType == null ? "" : contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
        return media.isEmpty() || media.equals("application/octet-stream") || media.equals("binary/octet-stream");
    }

    /** The media type recorded for a sniffed kind. */
    public static String mediaType(String kind) {
        return switch (kind) {
            case "pdf" -> "application/pdf";
            case "html" -> "text/html";
            case "json" -> "application/json";
            default -> "text/plain";
        };
    }

    public static String parse(String filename, String contentType, byte[] bytes) throws UnsupportedFile, InvalidFile {
        String kind = kind(filename, contentType);
        if (kind == null && uninformative(filename, contentType)) {
            kind = sniff(Arrays.copyOf(bytes, Math.min(bytes.length, 64 * 1024)));
        }
        if (kind == null) {
            throw new UnsupportedFile("Files of type '" + (extension(filename) == null ? String.valueOf(contentType) : "." + extension(filename))
                    + "' are not supported, and this one's bytes are not text or PDF; supported: text, Markdown, HTML, JSON, CSV, PDF and source code.");
        }
        if (bytes.length == 0) {
            throw new InvalidFile("The file is empty.");
        }
        String text = switch (kind) {
            case "pdf" -> pdf(bytes);
            case "html" -> html(decode(bytes));
            case "json" -> json(decode(bytes));
            case "csv" -> csv(decode(bytes));
            default -> normalise(decode(bytes));
        };
        if (text.isBlank()) {
            throw new InvalidFile("The file contains no text" + (kind.equals("pdf") ? " (a scanned PDF needs OCR first)." : "."));
        }
        return text;
    }

    static String extension(String filename) {
        if (filename == null) {
            return null;
        }
        int dot = filename.lastIndexOf('.');
        return dot < 0 || dot == filename.length() - 1 ? null : filename.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    /** UTF-8 (with or without BOM), UTF-16 with a BOM; bytes that are neither, or contain NULs, are not text. */
    static String decode(byte[] b) throws InvalidFile {
        if (b.length >= 2 && (b[0] & 0xff) == 0xfe && (b[1] & 0xff) == 0xff) {
            return new String(b, 2, b.length - 2, StandardCharsets.UTF_16BE);
        }
        if (b.length >= 2 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xfe) {
            return new String(b, 2, b.length - 2, StandardCharsets.UTF_16LE);
        }
        int from = b.length >= 3 && (b[0] & 0xff) == 0xef && (b[1] & 0xff) == 0xbb && (b[2] & 0xff) == 0xbf ? 3 : 0;
        for (int i = from; i < b.length; i++) {
            if (b[i] == 0) {
                throw new InvalidFile("The file is binary (it contains NUL bytes), not text.");
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b, from, b.length - from)).toString();
        } catch (CharacterCodingException e) {
            // Legacy single-byte text (Windows-1252 is a superset of Latin-1 for printable text).
            return new String(b, from, b.length - from, Charset.forName("windows-1252"));
        }
    }

    /** Unifies line ends, trims trailing spaces and collapses runs of blank lines to one paragraph break. */
    static String normalise(String s) {
        return s.replace("\r\n", "\n").replace('\r', '\n').replaceAll("[ \\t\\x0B\\f]+\\n", "\n")
                .replaceAll("\\n{3,}", "\n\n").strip();
    }

    static String pdf(byte[] bytes) throws InvalidFile {
        try (PDDocument doc = Loader.loadPDF(bytes)) {
            PDFTextStripper stripper = new PDFTextStripper();
            stripper.setSortByPosition(true);
            stripper.setParagraphStart("\n");
            stripper.setPageEnd("\n\n");
            return normalise(stripper.getText(doc));
        } catch (InvalidPasswordException e) {
            throw new InvalidFile("The PDF is encrypted with a password.");
        } catch (IOException e) {
            throw new InvalidFile("Not a readable PDF: " + e.getMessage());
        }
    }

    private static final Set<String> BLOCKS = Set.of("p", "div", "section", "article", "main", "header", "li", "ul", "ol", "table",
            "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "br", "dd", "dt", "figcaption", "td", "th");

    static String html(String source) {
        Document doc = Jsoup.parse(source);
        doc.select("script, style, noscript, template, svg, nav, iframe, form, button").remove();
        StringBuilder out = new StringBuilder();
        String title = doc.title();
        if (!title.isBlank()) {
            out.append(title.strip()).append("\n\n");
        }
        appendText(doc.body(), out);
        return normalise(out.toString().replaceAll("[ \\t]+", " ").replaceAll("\\n ", "\n"));
    }

    private static void appendText(Node node, StringBuilder out) {
        for (Node child : node.childNodes()) {
            if (child instanceof TextNode t) {
                out.append(t.getWholeText().replaceAll("\\s+", " "));
            } else if (child instanceof Element e) {
                boolean block = BLOCKS.contains(e.normalName());
                if (block) {
                    out.append(e.normalName().equals("td") || e.normalName().equals("th") ? " " : "\n\n");
                }
                appendText(e, out);
                if (block && !e.normalName().equals("td") && !e.normalName().equals("th")) {
                    out.append("\n\n");
                }
            }
        }
    }

    /** JSON as one "path: value" line per scalar, so keys give the values their meaning. */
    static String json(String source) throws InvalidFile {
        JsonNode root;
        try {
            root = Json.mapper().readTree(source);
        } catch (IOException e) {
            throw new InvalidFile("Not valid JSON: " + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
        if (root == null) {
            throw new InvalidFile("Not valid JSON: no content.");
        }
        StringBuilder out = new StringBuilder();
        flatten("", root, out);
        return out.toString().strip();
    }

    private static void flatten(String path, JsonNode node, StringBuilder out) {
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                flatten(path.isEmpty() ? e.getKey() : path + "." + e.getKey(), e.getValue(), out);
            }
            if (path.indexOf('.') < 0 && path.indexOf('[') < 0 && !path.isEmpty()) {
                out.append('\n');
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                flatten(path + "[" + i + "]", node.get(i), out);
                if (path.isEmpty()) {
                    out.append('\n');
                }
            }
        } else if (!node.isNull()) {
            out.append(path.isEmpty() ? "" : path + ": ").append(node.asText()).append('\n');
        }
    }

    /** CSV as one line per record, each value labelled with its column header. */
    static String csv(String source) throws InvalidFile {
        CSVFormat format = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).setIgnoreSurroundingSpaces(true)
                .setAllowMissingColumnNames(true).get();
        StringBuilder out = new StringBuilder();
        try (CSVParser parser = CSVParser.parse(new StringReader(source), format)) {
            List<String> headers = parser.getHeaderNames();
            for (CSVRecord record : parser) {
                StringBuilder line = new StringBuilder();
                for (int i = 0; i < record.size(); i++) {
                    String value = record.get(i);
                    if (value.isBlank()) {
                        continue;
                    }
                    if (!line.isEmpty()) {
                        line.append("; ");
                    }
                    String header = i < headers.size() ? headers.get(i) : "";
                    line.append(header.isBlank() ? "" : header + ": ").append(value);
                }
                out.append(line).append('\n');
            }
        } catch (IOException | IllegalStateException | IllegalArgumentException e) {
            throw new InvalidFile("Not valid CSV: " + e.getMessage());
        }
        return out.toString().strip();
    }

    /** The file type is not one we parse. Reported as {@code unsupported_file}. */
    public static final class UnsupportedFile extends Exception {
        public UnsupportedFile(String message) {
            super(message);
        }
    }

    /** The bytes are not what the type says (binary as text, broken PDF, bad JSON). Reported as {@code invalid_file}. */
    public static final class InvalidFile extends Exception {
        public InvalidFile(String message) {
            super(message);
        }
    }
}
