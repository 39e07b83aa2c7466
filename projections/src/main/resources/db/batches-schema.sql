-- The batch index: one row per batch, written by the batch index projection in the same transaction as its
-- offset. GET /api/v1/batches lists from it. Portable between PostgreSQL and H2; run on every start (idempotent),
-- under the schema lock. Columns are only ever added, with defaults (see projections-schema.sql).
CREATE TABLE IF NOT EXISTS baton_batches(
  batch_id VARCHAR(255) PRIMARY KEY,
  environment_id VARCHAR(64) NOT NULL,
  status VARCHAR(16) NOT NULL,
  run_count INTEGER NOT NULL,
  -- Items recorded with their run, and items recorded without one (an error).
  runs_created INTEGER NOT NULL,
  item_errors INTEGER NOT NULL,
  idempotency_key VARCHAR,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
  completed_at TIMESTAMP WITH TIME ZONE,
  -- The last event folded in: an event delivered again is not counted twice.
  sequence_nr BIGINT NOT NULL
);
-- The list, newest first, keyset-paginated on (created_at, batch_id).
CREATE INDEX IF NOT EXISTS baton_batches_env_created_idx ON baton_batches(environment_id, created_at, batch_id);
CREATE INDEX IF NOT EXISTS baton_batches_env_status_created_idx
  ON baton_batches(environment_id, status, created_at, batch_id);
