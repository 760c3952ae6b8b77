-- MCP sessions of the 2025-11-25 and earlier revisions, shared by every replica: a client whose
-- requests a balancer spreads keeps its session everywhere. (2026-07-28 has no sessions.)
CREATE TABLE mcp_sessions (
    id                  VARCHAR(64)  PRIMARY KEY,
    tenant_id           VARCHAR(128) NOT NULL,
    user_id             VARCHAR(128) NOT NULL,
    protocol_version    VARCHAR(16)  NOT NULL,
    log_level           VARCHAR(16)  NOT NULL,
    client_capabilities VARCHAR,
    last_seen           BIGINT       NOT NULL
);
CREATE INDEX mcp_sessions_last_seen ON mcp_sessions (last_seen);
