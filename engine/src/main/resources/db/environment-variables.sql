-- Environment variables (Trigger.dev's envvars API), delivered to workers with each execution. value_ciphertext
-- is "v1:" + base64(nonce || AES-256-GCM ciphertext and tag), sealed with baton.secrets' key and the row's
-- environment id and name as associated data. Its length bounds baton.http.envvars.max-value-size (the base64
-- of the value takes about 4/3 of its UTF-8 bytes). Portable between PostgreSQL and H2.
CREATE TABLE IF NOT EXISTS baton_environment_variables(
  environment_id VARCHAR(128) NOT NULL,
  name VARCHAR(256) NOT NULL,
  value_ciphertext VARCHAR(1000000) NOT NULL,
  is_secret BOOLEAN NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
  PRIMARY KEY(environment_id, name)
);
