-- Supervision rules (docs/supervision.md): every version of every rule, immutable; the evaluation loop's input log and
-- its state. Owned by the rules module.

CREATE TABLE rule_versions (
  rule_id text COLLATE "C" NOT NULL,
  version integer NOT NULL CHECK (version >= 1),
  -- SHA-256 of the definition's JCS bytes, 64 lowercase hex: what alarms and ledger risk events cite.
  hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
  definition jsonb NOT NULL,
  scope_type text NOT NULL CHECK (scope_type IN ('warehouse', 'lot', 'commodity')),
  scope_value text NOT NULL,
  kind text NOT NULL,
  severity text NOT NULL CHECK (severity IN ('info', 'warning', 'major', 'critical')),
  -- Who set the rule: only this organisation may make new versions of it or retire it.
  owner_msp text NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  -- A retirement is a version of its own: the rule stops being evaluated from it on.
  retired boolean NOT NULL DEFAULT false,
  PRIMARY KEY (rule_id, version)
);

CREATE INDEX rule_versions_scope ON rule_versions (scope_type, scope_value);

CREATE FUNCTION rule_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'rule versions are immutable: % is refused (edit a rule by adding a version)', TG_OP USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER rule_versions_no_change BEFORE UPDATE OR DELETE ON rule_versions
  FOR EACH ROW EXECUTE FUNCTION rule_versions_immutable();

CREATE TRIGGER rule_versions_no_truncate BEFORE TRUNCATE ON rule_versions
  FOR EACH STATEMENT EXECUTE FUNCTION rule_versions_immutable();

-- The warehouses that were given the default cold-chain rules, once each (a new warehouse starts supervised).
CREATE TABLE rule_default_warehouses (
  warehouse_id text PRIMARY KEY,
  templates text[] NOT NULL,
  applied_at timestamptz NOT NULL
);

-- What the evaluation loop fed the engine besides the readings (which are the evidence table's), in order: rule sets,
-- lot facts and wall-clock ticks, each placed after the last leaf the loop had evaluated. Replay reads the readings
-- and this log merged by that position, and so feeds the engine exactly what the live loop did.
CREATE TABLE rule_inputs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The highest leaf index evaluated before this input (-1: before any).
  after_leaf_index bigint NOT NULL CHECK (after_leaf_index >= -1),
  type text NOT NULL CHECK (type IN ('rules', 'fact', 'lot', 'tick')),
  payload jsonb NOT NULL
);

CREATE INDEX rule_inputs_order ON rule_inputs (after_leaf_index, id);

-- The loop's place and the engine's state after it, written in the transaction that writes what it raised.
CREATE TABLE rule_engine_state (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  -- The highest leaf index evaluated (-1: none yet).
  leaf_cursor bigint NOT NULL CHECK (leaf_cursor >= -1),
  state jsonb NOT NULL,
  updated_at timestamptz NOT NULL
);
