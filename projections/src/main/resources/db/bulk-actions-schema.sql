-- The bulk action index: one row per bulk action, written by the bulk action index projection in the same
-- transaction as its offset. GET /api/v1/bulk-actions lists from it, and its sweeper wakes the pending actions.
-- Portable between PostgreSQL and H2; run on every start (idempotent), under the schema lock. Columns are only ever
-- added, with defaults (see projections-schema.sql).
CREATE TABLE IF NOT EXISTS baton_bulk_actions(
  bulk_action_id VARCHAR(255) PRIMARY KEY,
  environment_id VARCHAR(64) NOT NULL,
  name VARCHAR(255),
  type VARCHAR(16) NOT NULL,
  status VARCHAR(16) NOT NULL,
  total_count BIGINT NOT NULL,
  success_count BIGINT NOT NULL,
  failure_count BIGINT NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  completed_at TIMESTAMP WITH TIME ZONE,
  -- The last event folded in: an event delivered again is not counted twice.
  sequence_nr BIGINT NOT NULL
);
-- The list, newest first, keyset-paginated on (created_at, bulk_action_id).
CREATE INDEX IF NOT EXISTS baton_bulk_actions_env_created_idx
  ON baton_bulk_actions(environment_id, created_at, bulk_action_id);
-- The sweeper's query: the pending actions.
CREATE INDEX IF NOT EXISTS baton_bulk_actions_status_idx ON baton_bulk_actions(status, created_at);
