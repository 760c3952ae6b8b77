-- API keys, stored as SHA-256 hashes; the plain key is shown once and never stored.
CREATE TABLE api_keys (
    id          VARCHAR(64)  PRIMARY KEY,
    key_hash    VARCHAR(64)  NOT NULL UNIQUE,
    key_prefix  VARCHAR(16)  NOT NULL,
    tenant_id   VARCHAR(128) NOT NULL,
    user_id     VARCHAR(128) NOT NULL,
    name        VARCHAR(200) NOT NULL,
    created_at  BIGINT       NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX api_keys_name ON api_keys (name);
