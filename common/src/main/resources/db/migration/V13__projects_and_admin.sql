-- Projects (the Administration API's name for a tenant): every tenant that has keys becomes one,
-- with its permissions; a project with no row (a JWT-only tenant) is open to every model and tool.
CREATE TABLE projects (
    id            VARCHAR(128) PRIMARY KEY,
    name          VARCHAR(200) NOT NULL,
    status        VARCHAR(16)  NOT NULL,
    created_at    BIGINT       NOT NULL,
    archived_at   BIGINT,
    model_mode    VARCHAR(16)  NOT NULL DEFAULT 'deny_list',
    model_ids     TEXT         NOT NULL DEFAULT '[]',
    hosted_tools  TEXT         NOT NULL DEFAULT '{}'
);
INSERT INTO projects (id, name, status, created_at)
    SELECT tenant_id, tenant_id, 'active', MIN(created_at) FROM api_keys GROUP BY tenant_id;

-- Service accounts own a project's API keys (as in OpenAI's Administration API).
CREATE TABLE service_accounts (
    id          VARCHAR(64)  PRIMARY KEY,
    project_id  VARCHAR(128) NOT NULL,
    name        VARCHAR(200) NOT NULL,
    role        VARCHAR(16)  NOT NULL,
    created_at  BIGINT       NOT NULL,
    deleted_at  BIGINT
);
CREATE INDEX service_accounts_project ON service_accounts (project_id);

-- kind: 'project' (every key so far) or 'admin' (the Administration API only).
ALTER TABLE api_keys ADD COLUMN kind VARCHAR(16) NOT NULL DEFAULT 'project';
ALTER TABLE api_keys ADD COLUMN service_account_id VARCHAR(64);
ALTER TABLE api_keys ADD COLUMN last_used_at BIGINT;
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);

-- Every admin action and every request refused by a project's permissions: who, what, when, from where.
CREATE TABLE audit_logs (
    id            VARCHAR(64)  PRIMARY KEY,
    type          VARCHAR(64)  NOT NULL,
    effective_at  BIGINT       NOT NULL,
    project_id    VARCHAR(128),
    actor_type    VARCHAR(16)  NOT NULL,
    actor_id      VARCHAR(128) NOT NULL,
    actor_key_id  VARCHAR(64),
    ip_address    VARCHAR(64),
    user_agent    VARCHAR(512),
    details       TEXT         NOT NULL
);
CREATE INDEX audit_logs_effective ON audit_logs (effective_at);
