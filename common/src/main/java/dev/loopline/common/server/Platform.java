package dev.loopline.common.server;

import dev.loopline.common.audit.AuditLog;
import dev.loopline.common.auth.ApiKeys;
import dev.loopline.common.auth.Authenticator;
import dev.loopline.common.auth.DelegationTokens;
import dev.loopline.common.auth.JwtVerifier;
import dev.loopline.common.auth.SharedSecretCheck;
import dev.loopline.common.cluster.Signals;
import dev.loopline.common.config.Settings;
import dev.loopline.common.db.Database;
import dev.loopline.common.http.OutboundHttp;
import dev.loopline.common.observe.Health;
import dev.loopline.common.observe.Metrics;
import dev.loopline.common.projects.ProjectPolicies;
import dev.loopline.common.projects.Spend;

import java.nio.file.Path;
import java.time.Duration;

/** What every service is built from: settings, the database, auth, metrics, health, outbound HTTP and signals to the other replicas. */
public final class Platform implements AutoCloseable {
    private final Settings settings;
    private final Path dataDir;
    private final Database database;
    private final ApiKeys apiKeys;
    private final Authenticator authenticator;
    private final DelegationTokens delegation;
    private final SharedSecretCheck secretCheck;
    private final Metrics metrics = new Metrics();
    private final Health health = new Health();
    private final OutboundHttp http;
    private final ServiceUrls urls;
    private final long maxBodyBytes;
    private final AuditLog audit;
    private final ProjectPolicies projectPolicies;
    private final Spend spend;
    private Signals signals;

    private Platform(Settings settings) {
        this.settings = settings;
        this.dataDir = DataDirectory.prepare(Path.of(settings.string("LOOPLINE_DATA_DIR", "loopline.data-dir", "./data")).toAbsolutePath().normalize());
        this.http = new OutboundHttp(
                settings.duration("LOOPLINE_HTTP_CONNECT_TIMEOUT", "loopline.http.connect-timeout", Duration.ofSeconds(5)),
                settings.duration("LOOPLINE_HTTP_READ_TIMEOUT", "loopline.http.read-timeout", Duration.ofSeconds(120)));
        this.database = Database.open(settings, dataDir);
        this.apiKeys = new ApiKeys(database);
        this.audit = new AuditLog(database);
        this.projectPolicies = new ProjectPolicies(database, audit);
        this.spend = new Spend(database, settings.optional("LOOPLINE_MODEL_PRICES", "loopline.model-prices").orElse(null));
        JwtVerifier jwt = settings.optional("LOOPLINE_JWT_JWKS_URL", "loopline.auth.jwt.jwks-url")
                .map(url -> new JwtVerifier(url,
                        settings.optional("LOOPLINE_JWT_ISSUER", "loopline.auth.jwt.issuer").orElse(null),
                        settings.optional("LOOPLINE_JWT_AUDIENCE", "loopline.auth.jwt.audience").orElse(null),
                        settings.string("LOOPLINE_JWT_TENANT_CLAIM", "loopline.auth.jwt.tenant-claim", "tenant_id"),
                        settings.optional("LOOPLINE_JWT_ADMIN_CLAIM", "loopline.auth.jwt.admin-claim").orElse(null),
                        settings.string("LOOPLINE_JWT_ADMIN_VALUE", "loopline.auth.jwt.admin-value", "admin"),
                        http.client()))
                .orElse(null);
        String secret = settings.optional("LOOPLINE_INTERNAL_SECRET", "loopline.auth.internal-secret").orElse(null);
        this.delegation = DelegationTokens.fromSettings(secret, dataDir);
        try {
            this.secretCheck = SharedSecretCheck.start(database, delegation, secret != null && !secret.isBlank());
        } catch (RuntimeException e) {
            database.close();
            throw e;
        }
        this.authenticator = new Authenticator(apiKeys, jwt, delegation);
        this.urls = new ServiceUrls(settings);
        this.maxBodyBytes = settings.longValue("LOOPLINE_MAX_BODY_BYTES", "loopline.http.max-body-bytes", 16L * 1024 * 1024);
        health.addReadinessCheck("database", database::ping);
    }

    public static Platform create(Settings settings) {
        return new Platform(settings);
    }

    public Settings settings() {
        return settings;
    }

    public Path dataDir() {
        return dataDir;
    }

    public Database database() {
        return database;
    }

    public ApiKeys apiKeys() {
        return apiKeys;
    }

    /** The audit log: admin actions and refused requests ({@link AuditLog}). */
    public AuditLog audit() {
        return audit;
    }

    /** What each project may use (models, hosted tools), enforced before any upstream call. */
    public ProjectPolicies projectPolicies() {
        return projectPolicies;
    }

    /** Prices per model and what each project spent this month ({@link Spend}). */
    public Spend spend() {
        return spend;
    }

    /** Tokens with which background work acts for the user who started it ({@link DelegationTokens}). */
    public DelegationTokens delegation() {
        return delegation;
    }

    public Authenticator authenticator() {
        return authenticator;
    }

    public Metrics metrics() {
        return metrics;
    }

    public Health health() {
        return health;
    }

    public OutboundHttp http() {
        return http;
    }

    public ServiceUrls urls() {
        return urls;
    }

    /** Messages to this service's other replicas ({@link Signals}), opened when a service first asks. */
    public synchronized Signals signals() {
        if (signals == null) {
            signals = Signals.from(settings);
        }
        return signals;
    }

    /** Request bodies above this get a 413 (LOOPLINE_MAX_BODY_BYTES, default 16 MiB). */
    public long maxBodyBytes() {
        return maxBodyBytes;
    }

    /** {@code LOOPLINE_MCP_AUTH=none} opens /mcp without credentials (loopback-only setups, the conformance suite). */
    public boolean mcpAuthRequired() {
        String mode = settings.string("LOOPLINE_MCP_AUTH", "loopline.mcp.auth", "required");
        return switch (mode) {
            case "none" -> false;
            case "required" -> true;
            default -> throw new IllegalStateException("LOOPLINE_MCP_AUTH must be 'required' or 'none', not '" + mode + "'");
        };
    }

    @Override
    public void close() {
        synchronized (this) {
            if (signals != null) {
                signals.close();
            }
        }
        if (secretCheck != null) {
            secretCheck.close();
        }
        http.close();
        database.close();
    }
}
