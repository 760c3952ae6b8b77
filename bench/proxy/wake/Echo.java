import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * A one-byte echo server whose connection handlers are virtual or platform threads: the smallest
 * program that shows what the JVM pays to answer the first I/O event after an idle gap (see
 * run.sh and docs/benchmarks.md). Usage: java Echo.java virtual|platform PORT
 */
public class Echo {
    public static void main(String[] args) throws IOException {
        boolean virtual = args[0].equals("virtual");
        try (ServerSocket server = new ServerSocket(Integer.parseInt(args[1]), 50, InetAddress.getLoopbackAddress())) {
            while (true) {
                Socket s = server.accept();
                s.setTcpNoDelay(true);
                Runnable echo = () -> {
                    try (s) {
                        InputStream in = s.getInputStream();
                        OutputStream out = s.getOutputStream();
                        byte[] b = new byte[64];
                        for (int n; (n = in.read(b)) > 0; ) {
                            out.write(b, 0, n);
                            out.flush();
                        }
                    } catch (IOException ignored) {
                        // the client went away
                    }
                };
                (virtual ? Thread.ofVirtual() : Thread.ofPlatform()).start(echo);
            }
        }
    }
}
