-- One-time-use public access tokens (Trigger.dev's otu claim) that have triggered: a second trigger with one is
-- refused on every node. Keyed by the token's SHA-256; a row may be deleted once the token has expired.
-- Portable between PostgreSQL and H2.
CREATE TABLE IF NOT EXISTS baton_used_public_tokens(
  token_hash CHAR(64) PRIMARY KEY,
  environment_id VARCHAR(64) NOT NULL,
  expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
  used_at TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX IF NOT EXISTS baton_used_public_tokens_expires_idx ON baton_used_public_tokens(expires_at);
