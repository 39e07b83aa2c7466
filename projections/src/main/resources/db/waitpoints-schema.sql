-- The waitpoint token index: one row per token, written by the token index projection in the same transaction
-- as its offset. GET /api/v1/waitpoints/tokens lists from it, and the token sweeper reads timeout_at to wake
-- waiting tokens whose entity (and its timeout timer) was passivated or lost with its node. Portable between
-- PostgreSQL and H2; run on every start (idempotent), under the schema lock. Columns are only ever added, with
-- defaults (see projections-schema.sql).
CREATE TABLE IF NOT EXISTS baton_waitpoint_tokens(
  token_id VARCHAR(255) PRIMARY KEY,
  environment_id VARCHAR(64) NOT NULL,
  status VARCHAR(16) NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
  completed_at TIMESTAMP WITH TIME ZONE,
  timeout_at TIMESTAMP WITH TIME ZONE,
  idempotency_key VARCHAR,
  idempotency_key_expires_at TIMESTAMP WITH TIME ZONE,
  -- The secret last segment of the token's callback URL (the list shows each token's URL).
  callback_hash VARCHAR(255) NOT NULL
);
-- The list, newest first, keyset-paginated on (created_at, token_id).
CREATE INDEX IF NOT EXISTS baton_waitpoint_tokens_env_created_idx
  ON baton_waitpoint_tokens(environment_id, created_at, token_id);
CREATE INDEX IF NOT EXISTS baton_waitpoint_tokens_env_status_created_idx
  ON baton_waitpoint_tokens(environment_id, status, created_at, token_id);
-- The sweeper: waiting tokens by timeout.
CREATE INDEX IF NOT EXISTS baton_waitpoint_tokens_status_timeout_idx ON baton_waitpoint_tokens(status, timeout_at);

-- A token's tags, one row each (position keeps their order), for filter[tags]; environment_id and created_at
-- are copied from the token (neither ever changes).
CREATE TABLE IF NOT EXISTS baton_waitpoint_token_tags(
  token_id VARCHAR(255) NOT NULL,
  tag VARCHAR NOT NULL,
  position INTEGER NOT NULL,
  environment_id VARCHAR(64) NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  PRIMARY KEY(token_id, tag)
);
CREATE INDEX IF NOT EXISTS baton_waitpoint_token_tags_env_tag_idx
  ON baton_waitpoint_token_tags(environment_id, tag, created_at, token_id);
