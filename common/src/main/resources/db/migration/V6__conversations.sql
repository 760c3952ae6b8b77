-- Conversations: an ordered list of items that responses read as context and append to.
CREATE TABLE conversations (
    id         VARCHAR(64)  PRIMARY KEY,
    tenant_id  VARCHAR(128) NOT NULL,
    created_at BIGINT       NOT NULL,
    metadata   VARCHAR      NOT NULL
);
CREATE INDEX conversations_tenant ON conversations (tenant_id, created_at);

CREATE TABLE conversation_items (
    conversation_id VARCHAR(64) NOT NULL,
    seq             BIGINT      NOT NULL,
    item_id         VARCHAR(64) NOT NULL,
    body            VARCHAR     NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
CREATE INDEX conversation_items_item ON conversation_items (conversation_id, item_id);
