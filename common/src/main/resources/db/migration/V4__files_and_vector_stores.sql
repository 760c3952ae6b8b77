-- Uploaded files. The bytes live under <data-dir>/files/<id>; the row is written after they are on disk.
CREATE TABLE files (
    id           VARCHAR(64)   PRIMARY KEY,
    tenant_id    VARCHAR(128)  NOT NULL,
    user_id      VARCHAR(128)  NOT NULL,
    filename     VARCHAR(1024) NOT NULL,
    purpose      VARCHAR(32)   NOT NULL,
    bytes        BIGINT        NOT NULL,
    content_type VARCHAR(255),
    sha256       VARCHAR(64)   NOT NULL,
    created_at   BIGINT        NOT NULL,
    expires_at   BIGINT
);
CREATE INDEX files_tenant_created ON files (tenant_id, created_at);

CREATE TABLE vector_stores (
    id               VARCHAR(64)   PRIMARY KEY,
    tenant_id        VARCHAR(128)  NOT NULL,
    name             VARCHAR(1024) NOT NULL,
    created_at       BIGINT        NOT NULL,
    last_active_at   BIGINT        NOT NULL,
    expires_after_days INTEGER,
    metadata         VARCHAR       NOT NULL,
    embedding_model  VARCHAR(256)  NOT NULL,
    dimensions       INTEGER       NOT NULL
);
CREATE INDEX vector_stores_tenant_created ON vector_stores (tenant_id, created_at);

-- A file in a vector store. status: in_progress | completed | failed | cancelled.
CREATE TABLE vector_store_files (
    vector_store_id   VARCHAR(64)  NOT NULL,
    file_id           VARCHAR(64)  NOT NULL,
    tenant_id         VARCHAR(128) NOT NULL,
    created_at        BIGINT       NOT NULL,
    status            VARCHAR(16)  NOT NULL,
    last_error_code   VARCHAR(32),
    last_error_message VARCHAR(2000),
    attributes        VARCHAR      NOT NULL,
    chunking_strategy VARCHAR      NOT NULL,
    usage_bytes       BIGINT       NOT NULL,
    chunks            INTEGER      NOT NULL,
    batch_id          VARCHAR(64),
    PRIMARY KEY (vector_store_id, file_id)
);
CREATE INDEX vector_store_files_status ON vector_store_files (status);
CREATE INDEX vector_store_files_file ON vector_store_files (file_id);
CREATE INDEX vector_store_files_batch ON vector_store_files (batch_id);

CREATE TABLE vector_store_file_batches (
    id              VARCHAR(64)  PRIMARY KEY,
    vector_store_id VARCHAR(64)  NOT NULL,
    tenant_id       VARCHAR(128) NOT NULL,
    created_at      BIGINT       NOT NULL,
    cancelled       BOOLEAN      NOT NULL
);
