package dev.loopline.common.logging;

import dev.loopline.common.http.RequestContext;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * java.util.logging to stderr, one line per record, each with the request id of the request it
 * belongs to ({@code -} outside requests). Helidon, Flyway and Hikari all log through JUL or
 * System.Logger, so one formatter covers every line.
 */
public final class LogSetup {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    /** JUL holds loggers weakly: keep the ones we configure, or their levels are lost. */
    private static final List<Logger> CONFIGURED = new ArrayList<>();

    private LogSetup() {
    }

    public static void install(String level) {
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        Handler h = new ConsoleHandler();
        h.setFormatter(new LineFormatter());
        h.setLevel(Level.ALL);
        root.addHandler(h);
        root.setLevel(Level.parse(level.toUpperCase()));
        // Noisy at INFO and not useful to operators.
        for (String quiet : new String[]{"org.flywaydb", "com.zaxxer.hikari", "io.helidon.webserver.http1", "io.helidon.common.features"}) {
            Logger l = Logger.getLogger(quiet);
            l.setLevel(Level.WARNING);
            CONFIGURED.add(l);
        }
    }

    static final class LineFormatter extends Formatter {
        @Override
        public String format(LogRecord r) {
            StringBuilder sb = new StringBuilder(160);
            sb.append(TIME.format(Instant.ofEpochMilli(r.getMillis()))).append(' ')
                    .append(r.getLevel().getName()).append(" [").append(RequestContext.requestId()).append("] ")
                    .append(shortName(r.getLoggerName())).append(": ").append(formatMessage(r)).append('\n');
            if (r.getThrown() != null) {
                StringWriter sw = new StringWriter();
                r.getThrown().printStackTrace(new PrintWriter(sw));
                sb.append(sw);
            }
            return sb.toString();
        }

        private static String shortName(String name) {
            if (name == null) {
                return "root";
            }
            int i = name.lastIndexOf('.');
            return i < 0 ? name : name.substring(i + 1);
        }
    }
}
