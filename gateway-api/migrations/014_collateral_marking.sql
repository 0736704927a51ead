-- Collateral value (docs/collateral.md), owned by the collateral module: the ledger's price marks and loans as marking
-- reads them (projected from the ledger's events), each loan's latest valuation and its history, repayments, margin
-- calls, stale-mark alarms, and how far marking got.

-- Every mark the oracle recorded, as the ledger holds it; the one in force at a time is the latest as_of at or before it.
CREATE TABLE price_marks (
  commodity text COLLATE "C" NOT NULL,
  as_of timestamptz NOT NULL,
  unit text NOT NULL,
  price numeric NOT NULL,
  currency text NOT NULL,
  source text NOT NULL,
  recorded_by text NOT NULL,
  recorded_at timestamptz NOT NULL,
  tx_id text NOT NULL,
  PRIMARY KEY (commodity, as_of)
);

-- Loans as the ledger last wrote them, and their latest valuation (NULL until first marked).
CREATE TABLE loans (
  lender text COLLATE "C" NOT NULL,
  loan_reference text COLLATE "C" NOT NULL,
  borrower_msp text NOT NULL,
  borrower_id text NOT NULL,
  currency text NOT NULL,
  -- The loan exactly as the ledger wrote it (principal, repaid, outstanding, terms).
  document jsonb NOT NULL,
  updated_block bigint NOT NULL,
  -- Once the lender declared a default on the loan, marking opens no more margin calls on it.
  defaulted_at timestamptz,
  state text CHECK (state IN ('VALUED', 'UNPRICED')),
  value numeric,
  ltv numeric,
  band text CHECK (band IN ('OK', 'WARNING', 'LIQUIDATION')),
  valuation jsonb,
  marked_at timestamptz,
  PRIMARY KEY (lender, loan_reference)
) WITH (fillfactor = 70); -- room on each page: a mark rewrites every loan's figures (HOT updates, no index churn)

CREATE INDEX loans_borrower ON loans (borrower_msp, borrower_id);

-- Each change of a loan's valuation, for its chart; a re-mark that changes nothing adds nothing.
CREATE TABLE loan_valuations (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  lender text NOT NULL,
  loan_reference text NOT NULL,
  at timestamptz NOT NULL,
  cause text NOT NULL,
  state text NOT NULL,
  value numeric,
  ltv numeric,
  band text,
  outstanding numeric NOT NULL
);

CREATE INDEX loan_valuations_loan ON loan_valuations (lender, loan_reference, seq);

CREATE TABLE loan_repayments (
  lender text NOT NULL,
  loan_reference text NOT NULL,
  reference text NOT NULL,
  amount numeric NOT NULL,
  currency text NOT NULL,
  outstanding_after numeric NOT NULL,
  recorded_by text NOT NULL,
  recorded_at timestamptz NOT NULL,
  tx_id text NOT NULL,
  PRIMARY KEY (lender, loan_reference, reference)
);

-- Margin calls: at most one open (OPEN or ESCALATED) per loan, so a marking run repeated after a crash doubles none.
CREATE TABLE margin_calls (
  id text COLLATE "C" PRIMARY KEY,
  lender text NOT NULL,
  loan_reference text NOT NULL,
  borrower_msp text NOT NULL,
  borrower_id text NOT NULL,
  currency text NOT NULL,
  status text NOT NULL CHECK (status IN ('OPEN', 'ESCALATED', 'CURED', 'CLOSED')),
  opened_at timestamptz NOT NULL,
  -- What opened it: the ledger transaction (or the daily run) whose marking crossed the warning line.
  opened_by jsonb NOT NULL,
  deadline timestamptz NOT NULL,
  warning_ltv numeric NOT NULL,
  liquidation_ltv numeric NOT NULL,
  opened_ltv numeric,
  -- The loan as last marked while the call was open.
  ltv numeric,
  value numeric,
  outstanding numeric NOT NULL,
  escalated_at timestamptz,
  escalation text CHECK (escalation IN ('DEADLINE_PASSED', 'LIQUIDATION_LINE')),
  ended_at timestamptz,
  -- What cured or closed it (a pledge, a repayment, a price, amended terms, a default).
  ended_by jsonb,
  updated_at timestamptz NOT NULL,
  CHECK ((escalated_at IS NULL) = (escalation IS NULL)),
  CHECK ((ended_at IS NULL) = (status IN ('OPEN', 'ESCALATED')))
);

CREATE UNIQUE INDEX margin_calls_one_open ON margin_calls (lender, loan_reference) WHERE status IN ('OPEN', 'ESCALATED');
CREATE INDEX margin_calls_due ON margin_calls (deadline) WHERE status = 'OPEN';
CREATE INDEX margin_calls_borrower ON margin_calls (borrower_msp, borrower_id, id);

-- A commodity whose latest mark grew older than its limit: one open alarm per commodity, cleared by a fresh mark.
CREATE TABLE price_alarms (
  id text COLLATE "C" PRIMARY KEY,
  commodity text NOT NULL,
  as_of timestamptz NOT NULL,
  limit_hours integer NOT NULL,
  raised_at timestamptz NOT NULL,
  cleared_at timestamptz,
  cleared_by_as_of timestamptz
);

CREATE UNIQUE INDEX price_alarms_one_open ON price_alarms (commodity) WHERE cleared_at IS NULL;

-- How far marking got through the ledger's events, and when every loan was last marked.
CREATE TABLE marking_state (
  name text PRIMARY KEY,
  block_number bigint NOT NULL,
  tx_index integer NOT NULL,
  full_run_at timestamptz
);
