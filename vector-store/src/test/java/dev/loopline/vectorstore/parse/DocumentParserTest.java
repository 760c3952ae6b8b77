package dev.loopline.vectorstore.parse;

import dev.loopline.vectorstore.TestDocuments;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.encryption.AccessPermission;
import org.apache.pdfbox.pdmodel.encryption.StandardProtectionPolicy;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DocumentParserTest {

    static String parse(String name, String text) throws Exception {
        return DocumentParser.parse(name, null, text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void textKeepsParagraphsAndHandlesBomAndLegacyCharsets() throws Exception {
        assertEquals("one\n\ntwo", parse("a.txt", "one\r\n\r\n\r\n\r\ntwo   \r\n"));
        byte[] bom = {(byte) 0xef, (byte) 0xbb, (byte) 0xbf, 'h', 'i'};
        assertEquals("hi", DocumentParser.parse("a.md", null, bom));
        byte[] latin1 = "café".getBytes(StandardCharsets.ISO_8859_1);
        assertEquals("café", DocumentParser.parse("a.txt", null, latin1));
        byte[] utf16 = "\uFEFFhello".getBytes(StandardCharsets.UTF_16BE);
        assertEquals("hello", DocumentParser.parse("a.txt", null, utf16));
    }

    @Test
    void jsonAndCsvBecomeLabelledLines() throws Exception {
        String json = parse("a.json", "{\"name\":\"Ada\",\"langs\":[\"en\",\"fr\"],\"address\":{\"city\":\"London\"},\"x\":null}");
        assertTrue(json.contains("name: Ada"), json);
        assertTrue(json.contains("langs[1]: fr"), json);
        assertTrue(json.contains("address.city: London"), json);
        String csv = parse("a.csv", "city,country\n\"Paris, France\",FR\nOslo,\n");
        assertEquals("city: Paris, France; country: FR\ncity: Oslo", csv);
    }

    @Test
    void htmlDropsScriptsAndNavigation() throws Exception {
        String t = parse("a.html", "<html><head><title>T</title><style>p{}</style></head><body><nav>Home</nav>"
                + "<h1>Head</h1><p>Para <b>bold</b> one.</p><script>alert(1)</script><p>Two</p></body></html>");
        assertEquals("T\n\nHead\n\nPara bold one.\n\nTwo", t);
    }

    @Test
    void badFilesAreInvalidAndUnknownTypesUnsupported() throws Exception {
        assertThrows(DocumentParser.UnsupportedFile.class, () -> DocumentParser.parse("a.docx", null, new byte[]{1}));
        assertThrows(DocumentParser.UnsupportedFile.class, () -> DocumentParser.parse("noext", "application/zip", new byte[]{1}));
        assertThrows(DocumentParser.InvalidFile.class, () -> DocumentParser.parse("a.txt", null, new byte[]{'a', 0, 'b'}));
        assertThrows(DocumentParser.InvalidFile.class, () -> parse("a.json", "{\"a\":"));
        assertThrows(DocumentParser.InvalidFile.class, () -> parse("a.pdf", "not a pdf"));
        assertThrows(DocumentParser.InvalidFile.class, () -> parse("a.txt", "   \n\n "));
        DocumentParser.InvalidFile encrypted = assertThrows(DocumentParser.InvalidFile.class,
                () -> DocumentParser.parse("a.pdf", null, encryptedPdf()));
        assertTrue(encrypted.getMessage().contains("password"), encrypted.getMessage());
        // The content type decides when there is no extension.
        assertFalse(DocumentParser.parse("noext", "text/markdown; charset=utf-8", "# hi".getBytes(StandardCharsets.UTF_8)).isEmpty());
    }

    /** A file whose name and type say nothing (openai-java's {@code upload}, {@code application/octet-stream}) is read by its bytes. */
    @Test
    void aFileThatSaysNothingIsReadByItsBytes() throws Exception {
        String octet = "application/octet-stream";
        assertEquals("plain words here", DocumentParser.parse("upload", octet, "plain words here".getBytes(StandardCharsets.UTF_8)));
        assertEquals("pdf words", DocumentParser.parse("upload", octet, TestDocuments.pdf("pdf words")).strip());
        assertEquals("json", DocumentParser.sniff("{\"a\": [1, 2".getBytes(StandardCharsets.UTF_8)), "a cut head of JSON is JSON");
        assertEquals("html", DocumentParser.sniff("  <!DOCTYPE html><html><p>x</p>".getBytes(StandardCharsets.UTF_8)));
        assertEquals("txt", DocumentParser.sniff("caf\u00e9 \u2014 ok".getBytes(StandardCharsets.UTF_8)));
        assertEquals(null, DocumentParser.sniff(new byte[]{1, 2, 3, 4, 5, (byte) 0x89, 'P', 'N', 'G'}));
        DocumentParser.UnsupportedFile binary = assertThrows(DocumentParser.UnsupportedFile.class,
                () -> DocumentParser.parse("upload", octet, new byte[]{(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 13}));
        assertTrue(binary.getMessage().contains("not text or PDF"), binary.getMessage());
        assertThrows(DocumentParser.UnsupportedFile.class, () -> DocumentParser.parse("a.docx", octet, "words".getBytes(StandardCharsets.UTF_8)),
                "a name that says what it is is believed");
    }

    static byte[] encryptedPdf() throws Exception {
        try (PDDocument doc = new PDDocument(); ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            doc.addPage(new PDPage());
            StandardProtectionPolicy policy = new StandardProtectionPolicy("owner", "user", new AccessPermission());
            policy.setEncryptionKeyLength(128);
            doc.protect(policy);
            doc.save(out);
            return out.toByteArray();
        }
    }
}
