-- Which key made each model call (the usage API groups by it); calls made for a background or
-- tool-loop response through a delegation token have none.
ALTER TABLE usage ADD COLUMN api_key_id VARCHAR(64);
CREATE INDEX usage_created ON usage (created_at);
CREATE INDEX tool_executions_tenant_started ON tool_executions (tenant_id, started_at);

-- A project's rate limits per model; 0 or NULL: no limit of that kind.
CREATE TABLE project_rate_limits (
    project_id                 VARCHAR(128) NOT NULL,
    model                      VARCHAR(256) NOT NULL,
    max_requests_per_1_minute  BIGINT,
    max_tokens_per_1_minute    BIGINT,
    max_requests_per_1_day     BIGINT,
    PRIMARY KEY (project_id, model)
);

-- Prices per model set by API (USD per million tokens); they override LOOPLINE_MODEL_PRICES.
CREATE TABLE model_prices (
    model               VARCHAR(256)     PRIMARY KEY,
    input_per_million   DOUBLE PRECISION NOT NULL,
    cached_per_million  DOUBLE PRECISION NOT NULL,
    output_per_million  DOUBLE PRECISION NOT NULL,
    updated_at          BIGINT           NOT NULL
);

-- A project's hard spend limit per calendar month (UTC), in cents.
CREATE TABLE project_spend_limits (
    project_id        VARCHAR(128) PRIMARY KEY,
    threshold_cents   BIGINT       NOT NULL,
    updated_at        BIGINT       NOT NULL
);

-- Soft alerts: fired once per month when the project's spend reaches the threshold (cents).
CREATE TABLE spend_alerts (
    id               VARCHAR(64)  PRIMARY KEY,
    project_id       VARCHAR(128) NOT NULL,
    threshold_cents  BIGINT       NOT NULL,
    recipients       TEXT         NOT NULL,
    subject_prefix   VARCHAR(200),
    created_at       BIGINT       NOT NULL,
    fired_month      VARCHAR(7)
);
CREATE INDEX spend_alerts_project ON spend_alerts (project_id);
