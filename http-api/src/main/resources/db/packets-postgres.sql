-- Large payloads uploaded through PUT /api/v2/packets/… (Trigger.dev's packet offload), one per path and
-- environment; a trigger with payloadType application/store names one.
CREATE TABLE IF NOT EXISTS baton_packets(
  environment_id VARCHAR(64) NOT NULL,
  path VARCHAR(1024) NOT NULL,
  content_type VARCHAR(255) NOT NULL,
  data BYTEA NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  PRIMARY KEY(environment_id, path)
);
