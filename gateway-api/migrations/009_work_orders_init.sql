-- Work orders (docs/work-orders.md): what someone in the warehouse must do about an alarm, a scheduled stock count or
-- a request by hand. The history is the record: every transition is one appended entry, and the SLA clocks are
-- recomputed from it (never kept as timers). The row in work_orders is the current state the history leads to,
-- written in the same transaction as the entry, so listing and filtering need not replay histories.

CREATE SEQUENCE work_order_numbers;

CREATE TABLE work_orders (
  id text COLLATE "C" PRIMARY KEY DEFAULT ('WO-' || lpad(nextval('work_order_numbers')::text, 6, '0')),
  source_type text NOT NULL CHECK (source_type IN ('alarm', 'schedule', 'manual')),
  alarm_id text,
  schedule_id text,
  occurrence timestamptz,
  title text NOT NULL,
  description text NOT NULL,
  priority text NOT NULL CHECK (priority IN ('P1', 'P2', 'P3', 'P4')),
  severity text CHECK (severity IN ('info', 'warning', 'major', 'critical')),
  warehouse_id text NOT NULL,
  lot_id text,
  location text,
  receipt_ids text[] NOT NULL DEFAULT '{}',
  assignee text,
  state text NOT NULL CHECK (state IN ('OPEN', 'ASSIGNED', 'IN_PROGRESS', 'WAITING', 'RESOLVED', 'CLOSED')),
  created_by text NOT NULL,
  -- Times come from the gateway's clock (the module's Clock), as the history's do, not from now().
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CHECK ((source_type = 'alarm') = (alarm_id IS NOT NULL)),
  CHECK ((source_type = 'schedule') = (schedule_id IS NOT NULL)),
  CHECK ((schedule_id IS NULL) = (occurrence IS NULL))
);

-- Exactly one work order per alarm episode, and one per occurrence of a schedule, whoever raises it how often.
CREATE UNIQUE INDEX work_orders_alarm ON work_orders (alarm_id) WHERE alarm_id IS NOT NULL;
CREATE UNIQUE INDEX work_orders_occurrence ON work_orders (schedule_id, occurrence) WHERE schedule_id IS NOT NULL;
CREATE INDEX work_orders_lot ON work_orders (lot_id, id) WHERE lot_id IS NOT NULL;
-- What the escalation loop reads each round: the work orders whose clocks may still run.
CREATE INDEX work_orders_active ON work_orders (id) WHERE state NOT IN ('RESOLVED', 'CLOSED');

-- The history, one row per entry, numbered from 0 (the creation). Append-only, enforced here.
CREATE TABLE work_order_history (
  work_order_id text COLLATE "C" NOT NULL REFERENCES work_orders (id),
  seq integer NOT NULL CHECK (seq >= 0),
  entry jsonb NOT NULL,
  PRIMARY KEY (work_order_id, seq)
);

CREATE FUNCTION work_order_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'work_order_history is append-only: % is not allowed', TG_OP USING ERRCODE = 'raise_exception';
END;
$$;

CREATE TRIGGER work_order_history_no_update_or_delete BEFORE UPDATE OR DELETE ON work_order_history
  FOR EACH ROW EXECUTE FUNCTION work_order_history_append_only();

CREATE TRIGGER work_order_history_no_truncate BEFORE TRUNCATE ON work_order_history
  FOR EACH STATEMENT EXECUTE FUNCTION work_order_history_append_only();

-- Schedules that raise a work order per occurrence (stock counts). considered_until: every occurrence up to this
-- instant has been looked at (raised, or skipped by its day rule); the unique index above makes a second look harmless.
CREATE TABLE work_order_schedules (
  id text COLLATE "C" PRIMARY KEY,
  definition jsonb NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  considered_until timestamptz NOT NULL
);
