-- Signed webhooks (docs/webhooks.md): each party's subscriptions, one delivery row per (event, subscription) made by
-- the dispatcher from the events outbox, and every attempt of each. Owned by the webhooks module.

CREATE TABLE webhook_subscriptions (
  id text COLLATE "C" PRIMARY KEY,
  -- The party the subscription belongs to and hears for (partyOf its creator): an MSP id or `BorrowerMSP/<owner>`.
  party text NOT NULL,
  url text NOT NULL,
  -- NULL: every event type.
  types text[],
  description text,
  -- `whsec_` and base64 of 32 random bytes: needed to sign, so kept; never returned after creation, never logged.
  secret text NOT NULL,
  status text NOT NULL CHECK (status IN ('active', 'paused', 'deleted')),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE INDEX webhook_subscriptions_party ON webhook_subscriptions (party, created_at, id) WHERE status <> 'deleted';

CREATE TABLE webhook_deliveries (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  subscription_id text COLLATE "C" NOT NULL REFERENCES webhook_subscriptions (id),
  event_id text COLLATE "C" NOT NULL,
  -- Deliveries of one subscription and one object are sent in id order (= the events' commit order): a delivery
  -- waits while an earlier one of the same subscription and object is pending.
  object_key text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
  -- Attempts ever made (they number the attempt rows), and failures since the delivery was last queued (the backoff).
  attempts integer NOT NULL DEFAULT 0,
  failures integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  -- The first attempt since the delivery was last queued: the retry window counts from it.
  first_attempt_at timestamptz,
  delivered_at timestamptz,
  -- Raised by each redelivery, so that the result of an attempt already in flight does not overwrite the new queueing.
  version integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL,
  UNIQUE (subscription_id, event_id)
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (subscription_id, object_key, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (subscription_id, id);
CREATE INDEX webhook_deliveries_dead ON webhook_deliveries (subscription_id) WHERE status = 'dead';

CREATE TABLE webhook_attempts (
  delivery_id bigint NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  attempt integer NOT NULL,
  at timestamptz NOT NULL,
  duration_ms integer NOT NULL,
  -- The HTTP status answered, or NULL with `error` (timeout, connection refused, target forbidden).
  status_code integer,
  error text,
  PRIMARY KEY (delivery_id, attempt)
);

-- How far the dispatcher has fanned the outbox out: the position of the last event it made deliveries for.
CREATE TABLE webhook_dispatch_cursor (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  after_tx xid8,
  after_seq bigint
);

-- One gateway of several on a database dispatches and sends (as anchor_worker_lease).
CREATE TABLE webhook_lease (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  holder text NOT NULL,
  expires_at timestamptz NOT NULL
);
