-- Spans workers reported over OTLP (POST /otel/v1/traces): the handler's own spans, kept beside the spans Baton
-- draws from each run's journal, for GET /api/v1/runs/{id}/trace. span_key is environment/trace/span, so a span
-- reported twice is stored once. Swept after baton.traces.retention. Portable between PostgreSQL and H2; run on
-- every start (idempotent). Columns are only ever added, with defaults.
CREATE TABLE IF NOT EXISTS baton_spans(
  span_key VARCHAR(160) PRIMARY KEY,
  environment_id VARCHAR(64) NOT NULL,
  run_id VARCHAR(255) NOT NULL,
  trace_id CHAR(32) NOT NULL,
  span_id CHAR(16) NOT NULL,
  parent_span_id CHAR(16),
  name VARCHAR(1024) NOT NULL,
  kind VARCHAR(16) NOT NULL,
  start_nanos BIGINT NOT NULL,
  end_nanos BIGINT NOT NULL,
  error BOOLEAN NOT NULL,
  status_message VARCHAR(4096),
  attributes VARCHAR NOT NULL,
  received_at TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX IF NOT EXISTS baton_spans_run_idx ON baton_spans(environment_id, run_id);
CREATE INDEX IF NOT EXISTS baton_spans_received_idx ON baton_spans(received_at);
