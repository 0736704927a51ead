-- Idempotency-Key of write requests, per identity: the first request claims the key (in_progress), its response is
-- kept (done) and replayed to retries that carry the same request hash.
CREATE TABLE idempotency_keys (
  identity_id text NOT NULL,
  key text NOT NULL,
  request_hash text NOT NULL,
  state text NOT NULL CHECK (state IN ('in_progress', 'done')),
  status integer,
  body jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  PRIMARY KEY (identity_id, key),
  CHECK ((state = 'done') = (status IS NOT NULL))
);

CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
