package dev.loopline.admin;

import dev.loopline.admin.audit.AuditLogsApi;
import dev.loopline.admin.keys.AdminKeysApi;
import dev.loopline.admin.keys.ServiceAccountsApi;
import dev.loopline.admin.projects.ProjectsApi;
import dev.loopline.common.server.Platform;
import dev.loopline.common.server.ServiceModule;
import io.helidon.webserver.http.HttpRouting;

/**
 * The Administration API ({@code /v1/organization/...}) in OpenAI's shape, for what loopline has:
 * projects (loopline's tenants) with their model and hosted-tool permissions, service accounts
 * and the project API keys they own, admin API keys, and the audit log. Only an admin API key (or
 * a JWT carrying the admin claim) reaches it ({@link AdminAccess}); every change is one
 * transaction with its audit event.
 */
public final class AdminModule implements ServiceModule {
    private final ProjectsApi projects;
    private final ServiceAccountsApi serviceAccounts;
    private final AdminKeysApi adminKeys;
    private final AuditLogsApi auditLogs;

    public AdminModule(Platform platform) {
        this.projects = new ProjectsApi(platform);
        this.serviceAccounts = new ServiceAccountsApi(platform);
        this.adminKeys = new AdminKeysApi(platform);
        this.auditLogs = new AuditLogsApi(platform);
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
    }
}
