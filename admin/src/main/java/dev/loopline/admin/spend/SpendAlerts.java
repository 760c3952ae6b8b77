package dev.loopline.admin.spend;

import dev.loopline.common.audit.AuditLog;
import dev.loopline.common.json.Json;
import dev.loopline.common.projects.Spend;
import dev.loopline.common.server.Platform;
import io.micrometer.core.instrument.Counter;

import java.time.Duration;
import java.util.List;

/**
 * Fires spend alerts: every {@code interval}, each alert whose project's spend this month has
 * reached its threshold fires once for the month. Replicas race for it with a conditional update of
 * {@code fired_month}, so exactly one fires it. Firing is an audit event ({@code spend_alert.triggered},
 * with the recipients), a WARNING log line and {@code loopline_spend_alerts_fired_total}: loopline
 * sends no email itself (no mail server is configured); route the event or the metric to one.
 */
public final class SpendAlerts implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SpendAlerts.class.getName());
    private final Platform platform;
    private final Counter fired;
    private final Thread loop;

    public SpendAlerts(Platform platform, Duration interval) {
        this.platform = platform;
        this.fired = Counter.builder("loopline_spend_alerts_fired_total").description("Spend alerts fired (once per alert and month)")
                .register(platform.metrics().registry());
        this.loop = Thread.ofVirtual().name("spend-alerts").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(interval.toMillis());
                    check();
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "spend alert check failed: " + e.getMessage());
                }
            }
        });
    }

    private record Alert(String id, String project, long cents, String recipients) {
    }

    /** One pass over every alert not yet fired this month. */
    public void check() {
        long now = System.currentTimeMillis() / 1000;
        String month = Spend.month(now);
        List<Alert> due = platform.database().list("SELECT id, project_id, threshold_cents, recipients FROM spend_alerts "
                + "WHERE fired_month IS NULL OR fired_month <> ?", r -> new Alert(r.column("id").getString(), r.column("project_id").getString(),
                r.column("threshold_cents").getLong(), r.column("recipients").getString()), month);
        for (Alert a : due) {
            double spent = platform.spend().monthCents(a.project());
            if (spent < a.cents()) {
                continue;
            }
            boolean won = platform.database().inTransaction(tx -> {
                long n = tx.update("UPDATE spend_alerts SET fired_month = ? WHERE id = ? AND (fired_month IS NULL OR fired_month <> ?)",
                        month, a.id(), month);
                if (n == 1) {
                    var details = Json.object().put("id", a.id()).put("threshold_amount", a.cents()).put("spent_amount", Math.round(spent))
                            .put("month", month);
                    details.set("recipients", Json.parse(a.recipients()));
                    platform.audit().record(tx, "spend_alert.triggered", a.project(), new AuditLog.Actor("system", "loopline", null,
                            a.project(), null, null), details);
                }
                return n == 1;
            });
            if (won) {
                fired.increment();
                LOG.log(System.Logger.Level.WARNING, String.format("spend alert %s: project %s has spent $%.2f this month (alert at $%.2f)",
                        a.id(), a.project(), spent / 100, a.cents() / 100.0));
            }
        }
    }

    @Override
    public void close() {
        loop.interrupt();
    }
}
