-- Who may call the gateway. An identity is one enrolled X.509 identity of an organisation; only its certificate is
-- kept here; its private key stays in the wallet directory, so a database dump cannot sign ledger transactions.
CREATE TABLE identities (
  id text PRIMARY KEY CHECK (id <> ''),
  msp_id text NOT NULL,
  org text NOT NULL CHECK (org IN ('custodian', 'lender', 'borrower')),
  user_name text NOT NULL,
  role text NOT NULL,
  certificate text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  disabled_at timestamptz
);

-- Bearer tokens. Only the SHA-256 of a token is stored: tokens are 32 random bytes, so a fast hash cannot be
-- brute-forced and lets a lookup go straight to the unique index.
CREATE TABLE api_tokens (
  id text PRIMARY KEY,
  identity_id text NOT NULL REFERENCES identities (id),
  token_hash bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
  label text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  last_used_at timestamptz
);

CREATE INDEX api_tokens_identity ON api_tokens (identity_id);
