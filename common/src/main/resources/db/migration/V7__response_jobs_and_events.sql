-- Background responses: a database-backed queue (claimed with FOR UPDATE SKIP LOCKED; a job whose
-- MCP credentials live only in one process's memory is pinned to that process) and the events of
-- responses created with background + stream, kept for GET ?stream=true&starting_after=N.
CREATE TABLE response_jobs (
    response_id  VARCHAR(64)  PRIMARY KEY,
    tenant_id    VARCHAR(128) NOT NULL,
    user_id      VARCHAR(128) NOT NULL,
    state        VARCHAR(16)  NOT NULL,
    owner        VARCHAR(64),
    heartbeat_at BIGINT,
    created_at   BIGINT       NOT NULL,
    has_secrets  BOOLEAN      NOT NULL,
    pinned_to    VARCHAR(64),
    request      VARCHAR      NOT NULL
);
CREATE INDEX response_jobs_state ON response_jobs (state, created_at);

CREATE TABLE response_events (
    response_id VARCHAR(64) NOT NULL,
    seq         INTEGER     NOT NULL,
    body        VARCHAR     NOT NULL,
    PRIMARY KEY (response_id, seq)
);
