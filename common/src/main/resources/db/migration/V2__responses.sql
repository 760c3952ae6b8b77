-- Responses API state. Items are stored in order as their JSON, so they replay faithfully.
CREATE TABLE responses (
    id          VARCHAR(64)  PRIMARY KEY,
    tenant_id   VARCHAR(128) NOT NULL,
    user_id     VARCHAR(128) NOT NULL,
    status      VARCHAR(32)  NOT NULL,
    model       VARCHAR(256) NOT NULL,
    created_at  BIGINT       NOT NULL,
    updated_at  BIGINT       NOT NULL,
    previous_response_id VARCHAR(64),
    body        VARCHAR      NOT NULL
);
CREATE INDEX responses_tenant_created ON responses (tenant_id, created_at);

CREATE TABLE response_items (
    response_id VARCHAR(64)  NOT NULL,
    direction   VARCHAR(8)   NOT NULL,
    seq         INTEGER      NOT NULL,
    item_id     VARCHAR(64),
    item_type   VARCHAR(64)  NOT NULL,
    body        VARCHAR      NOT NULL,
    PRIMARY KEY (response_id, direction, seq)
);

-- Every tool execution, written as it finishes (also when the response later fails).
CREATE TABLE tool_executions (
    id          VARCHAR(64)  PRIMARY KEY,
    response_id VARCHAR(64)  NOT NULL,
    tenant_id   VARCHAR(128) NOT NULL,
    round       INTEGER      NOT NULL,
    tool        VARCHAR(128) NOT NULL,
    arguments   VARCHAR      NOT NULL,
    result      VARCHAR,
    error       VARCHAR,
    status      VARCHAR(32)  NOT NULL,
    started_at  BIGINT       NOT NULL,
    ended_at    BIGINT       NOT NULL
);
CREATE INDEX tool_executions_response ON tool_executions (response_id);
