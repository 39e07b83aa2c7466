-- How far the ClickHouse shipper (docs/analytics.md) copied each of Baton's tables it follows: the (time, key)
-- of the last row ClickHouse acknowledged, in the order it reads them. Run on every start (idempotent).
-- Portable between PostgreSQL and H2.
CREATE TABLE IF NOT EXISTS baton_clickhouse_shipping(
  feed VARCHAR(64) PRIMARY KEY,
  after_time TIMESTAMP WITH TIME ZONE NOT NULL,
  after_key VARCHAR(255) NOT NULL,
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL
);
