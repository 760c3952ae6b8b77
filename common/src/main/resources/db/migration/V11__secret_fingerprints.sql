-- Processes sharing a database must share the internal secret (delegation tokens, sealed items and
-- MCP request states cross them). Each live process records a fingerprint of its secret (an HMAC
-- under the secret itself: it reveals nothing) and refreshes last_seen; a process whose secret
-- differs from a live one's refuses to start, instead of failing its work late and obscurely.
CREATE TABLE secret_fingerprints (
    fingerprint VARCHAR(64) PRIMARY KEY,
    last_seen   BIGINT      NOT NULL
);
