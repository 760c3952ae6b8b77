package dev.loopline.admin;

import dev.loopline.admin.audit.AuditLogsApi;
import dev.loopline.admin.keys.AdminKeysApi;
import dev.loopline.admin.keys.ServiceAccountsApi;
import dev.loopline.admin.limits.RateLimitsApi;
import dev.loopline.admin.projects.ProjectsApi;
import dev.loopline.admin.spend.SpendAlerts;
import dev.loopline.admin.spend.SpendApi;
import dev.loopline.admin.usage.UsageApi;
import dev.loopline.common.server.Platform;
import dev.loopline.common.server.ServiceModule;
import io.helidon.webserver.http.HttpRouting;

import java.time.Duration;
import java.util.Collection;
import java.util.function.Supplier;

/**
 * The Administration API ({@code /v1/organization/...}) in OpenAI's shape, for what loopline has:
 * projects (loopline's tenants) with their model and hosted-tool permissions and rate limits,
 * service accounts and the project API keys they own, admin API keys, prices, spend limits and
 * alerts, usage and costs, and the audit log. Only an admin API key (or
 * a JWT carrying the admin claim) reaches it ({@link AdminAccess}); every change is one
 * transaction with its audit event.
 */
public final class AdminModule implements ServiceModule {
    private final ProjectsApi projects;
    private final ServiceAccountsApi serviceAccounts;
    private final AdminKeysApi adminKeys;
    private final AuditLogsApi auditLogs;
    private final RateLimitsApi rateLimits;
    private final SpendApi spend;
    private final UsageApi usage;
    private final SpendAlerts alerts;

    /** {@code models}: the models the gateway serves (each has a rate-limit entry per project). */
    public AdminModule(Platform platform, Supplier<? extends Collection<String>> models) {
        this.projects = new ProjectsApi(platform);
        this.serviceAccounts = new ServiceAccountsApi(platform);
        this.adminKeys = new AdminKeysApi(platform);
        this.auditLogs = new AuditLogsApi(platform);
        this.rateLimits = new RateLimitsApi(platform, models);
        this.spend = new SpendApi(platform);
        this.usage = new UsageApi(platform);
        this.alerts = new SpendAlerts(platform, platform.settings().duration("LOOPLINE_SPEND_ALERT_INTERVAL",
                "loopline.admin.spend-alert-interval", Duration.ofSeconds(30)));
    }

    @Override
    public String name() {
        return "admin";
    }

    @Override
    public void routing(HttpRouting.Builder routing) {
        routing.addFilter(new AdminAccess());
        projects.routing(routing);
        serviceAccounts.routing(routing);
        adminKeys.routing(routing);
        auditLogs.routing(routing);
        rateLimits.routing(routing);
        spend.routing(routing);
        usage.routing(routing);
    }

    @Override
    public void close() {
        alerts.close();
    }
}
