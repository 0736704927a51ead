-- Alarms (docs/supervision.md): one row per episode the engine raised, the engine's change log byte for byte (what
-- replay compares), and the ledger actions each alarm owes. Owned by the alarms module.

CREATE TABLE alarms (
  id text COLLATE "C" PRIMARY KEY,
  -- The engine's record as of its last change (JCS text and parsed), never written by a person.
  record_jcs text NOT NULL,
  record jsonb NOT NULL,
  rule_id text NOT NULL,
  rule_version integer NOT NULL,
  rule_hash text NOT NULL,
  kind text NOT NULL,
  severity text NOT NULL CHECK (severity IN ('info', 'warning', 'major', 'critical')),
  warehouse_id text NOT NULL,
  lot_id text,
  device_id text,
  -- The engine's state: ACTIVE or CLEARED; WITHDRAWN when late readings showed it never happened.
  engine_state text NOT NULL CHECK (engine_state IN ('ACTIVE', 'CLEARED', 'WITHDRAWN')),
  started_at timestamptz NOT NULL,
  cleared_at timestamptz,
  -- The people's side: acknowledgement, and shelving (always until a time).
  acked_by text,
  acked_at timestamptz,
  ack_note text,
  shelved_by text,
  shelved_until timestamptz,
  shelve_reason text,
  raised_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CHECK ((acked_by IS NULL) = (acked_at IS NULL)),
  CHECK ((shelved_by IS NULL) = (shelved_until IS NULL))
);

CREATE INDEX alarms_lot ON alarms (lot_id, id) WHERE lot_id IS NOT NULL;
CREATE INDEX alarms_state ON alarms (engine_state, severity, id);

-- Every change the engine made, in order: the alarm log that replay reproduces byte for byte.
CREATE TABLE alarm_changes (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  alarm_id text NOT NULL REFERENCES alarms (id),
  type text NOT NULL CHECK (type IN ('raised', 'updated', 'cleared', 'withdrawn')),
  change_jcs text NOT NULL,
  -- The leaf index the loop had evaluated when it made the change.
  leaf_cursor bigint NOT NULL
);

CREATE INDEX alarm_changes_alarm ON alarm_changes (alarm_id, seq);

-- What an alarm owes the ledger (a risk event, a stock count), done at least once by the covenant worker; the ledger
-- refuses a second one (the ids are the alarm's), so "at least once" is "exactly once" there.
CREATE TABLE alarm_actions (
  alarm_id text NOT NULL REFERENCES alarms (id),
  action text NOT NULL CHECK (action IN ('risk-event', 'stock-count')),
  args jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'done', 'skipped', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  tx_id text,
  created_at timestamptz NOT NULL,
  done_at timestamptz,
  PRIMARY KEY (alarm_id, action)
);

CREATE INDEX alarm_actions_pending ON alarm_actions (created_at) WHERE status = 'pending';
