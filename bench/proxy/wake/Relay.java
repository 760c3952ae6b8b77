import java.io.*;
import java.net.*;
import java.nio.charset.StandardCharsets;

/**
 * The smallest HTTP/1.1 keep-alive relay (Content-Length bodies only; one upstream connection per
 * client connection, one thread each, virtual or platform): what a JVM proxy pays at the least when
 * its upstream keeps it waiting (see relay.sh and docs/benchmarks.md).
 * Usage: java Relay.java PORT UPSTREAM_PORT platform|virtual
 */
public class Relay {
    public static void main(String[] a) throws Exception {
        int port = Integer.parseInt(a[0]); int up = Integer.parseInt(a[1]); boolean virtual = a.length > 2 && a[2].equals("virtual");
        try (ServerSocket ss = new ServerSocket(port, 50, InetAddress.getLoopbackAddress())) {
            while (true) {
                Socket c = ss.accept(); c.setTcpNoDelay(true);
                Runnable r = () -> {
                    try (c; Socket u = new Socket(InetAddress.getLoopbackAddress(), up)) {
                        u.setTcpNoDelay(true);
                        BufferedInputStream ci = new BufferedInputStream(c.getInputStream()); OutputStream co = c.getOutputStream();
                        BufferedInputStream ui = new BufferedInputStream(u.getInputStream()); OutputStream uo = u.getOutputStream();
                        while (true) {
                            byte[] req = message(ci); if (req == null) return;
                            uo.write(req); uo.flush();
                            byte[] res = message(ui); if (res == null) return;
                            co.write(res); co.flush();
                        }
                    } catch (IOException ignored) { }
                };
                (virtual ? Thread.ofVirtual() : Thread.ofPlatform()).start(r);
            }
        }
    }

    /** One HTTP message with a Content-Length body (or none), bytes as received. */
    static byte[] message(BufferedInputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0, b;
        while (state < 4) {
            b = in.read(); if (b < 0) return null;
            head.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) ? state + 1 : (b == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
        String h = head.toString(StandardCharsets.ISO_8859_1);
        int len = 0;
        for (String line : h.split("\r\n")) if (line.toLowerCase().startsWith("content-length:")) len = Integer.parseInt(line.substring(15).trim());
        byte[] body = in.readNBytes(len);
        head.write(body);
        return head.toByteArray();
    }
}
