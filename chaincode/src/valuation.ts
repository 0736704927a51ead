import { internal, invalidArgument } from './errors';
import type { LoanTerms } from './model';
import { Quantity } from './quantity';

/**
 * Collateral value and LTV (docs/collateral.md), one pure computation for the chaincode's release covenant and the
 * gateway's marking alike, so that the ledger and the portfolio can never disagree about a loan.
 *
 * The rounding rule, stated once: every product is exact (BigInt over millionths); a loan's collateral value is the
 * exact sum Σ quantity × price × (1 − haircut), rounded down to the cent once; LTV is outstanding ÷ that value,
 * rounded down to 6 decimal places. A line is crossed when LTV ≥ the line. Rounding the LTV down to the precision the
 * lines are written in keeps "the shown LTV is at or above the line" and "the exact LTV is" the same statement.
 */

/** Defaults of a loan's terms when its first acceptance names none (docs/design.md section 10). */
export const defaultTerms: LoanTerms = { haircut: '0', warningLtv: '0.7', liquidationLtv: '0.85', cureHours: 72 };

/** Where a valued loan stands against its lines. */
export const ltvBands = ['OK', 'WARNING', 'LIQUIDATION'] as const;
export type LtvBand = (typeof ltvBands)[number];

/** One pledged receipt's goods, as valuation needs them. */
export interface Holding {
  readonly commodity: string;
  readonly unit: string;
  readonly quantity: string;
}

/** A mark in force, as valuation needs it. */
export interface MarkInForce {
  readonly commodity: string;
  readonly unit: string;
  readonly price: string;
  readonly currency: string;
  readonly asOf: string;
}

/** Why a commodity of the loan could not be valued: no mark, or a mark in another currency or unit (never converted). */
export interface ValuationProblem {
  readonly commodity: string;
  readonly code: 'NO_MARK' | 'CURRENCY_MISMATCH' | 'UNIT_MISMATCH';
  readonly message: string;
}

export interface Valuation {
  /** VALUED: every commodity has a usable mark; UNPRICED: some has none or a mismatched one (see problems). */
  readonly state: 'VALUED' | 'UNPRICED';
  /** Collateral value after the haircut, rounded down to the cent; null unless VALUED. */
  readonly value: string | null;
  readonly outstanding: string;
  /** outstanding ÷ value, rounded down to 6 places; null unless VALUED, or when no collateral is left but money is. */
  readonly ltv: string | null;
  /** null unless VALUED. With no collateral left and money outstanding the loan is in LIQUIDATION. */
  readonly band: LtvBand | null;
  /** The goods of the loan by commodity, with the mark each was valued at (null when it has none). */
  readonly holdings: readonly { readonly commodity: string; readonly unit: string; readonly quantity: string; readonly mark: MarkInForce | null }[];
  readonly problems: readonly ValuationProblem[];
}

const million = 1_000_000n;
/** 10^18 (three factors of millionths) over 10^2 (cents). */
const toCents = 10n ** 16n;

/** Parses terms' fractions and checks they make sense together; INVALID_ARGUMENT naming the field otherwise. */
export function checkTerms(terms: LoanTerms): void {
  const haircut = Quantity.parse(terms.haircut, 'terms.haircut');
  const warning = Quantity.parsePositive(terms.warningLtv, 'terms.warningLtv');
  const liquidation = Quantity.parsePositive(terms.liquidationLtv, 'terms.liquidationLtv');
  if (haircut.compare(Quantity.parse('1')) >= 0) {
    throw invalidArgument('terms.haircut must be below 1 (a fraction of market value, "0.2" for 20%)');
  }
  if (warning.compare(liquidation) >= 0) {
    throw invalidArgument(`terms.warningLtv (${terms.warningLtv}) must be below terms.liquidationLtv (${terms.liquidationLtv})`);
  }
  if (liquidation.compare(Quantity.parse('10')) > 0) {
    throw invalidArgument('terms.liquidationLtv must be at most 10 (a fraction, "0.85" for 85%)');
  }
}

/**
 * Values a loan: its currency, outstanding amount and terms, the goods pledged to it, and the mark in force for each
 * commodity. Deterministic: the same inputs give the same answer on every peer and in the gateway.
 */
export function valueLoan(
  loan: { readonly currency: string; readonly outstanding: string; readonly terms: LoanTerms },
  holdings: readonly Holding[],
  marks: ReadonlyMap<string, MarkInForce>,
): Valuation {
  const byCommodity = new Map<string, { unit: string; quantity: Quantity }>();
  const problems: ValuationProblem[] = [];
  for (const holding of holdings) {
    const entry = byCommodity.get(holding.commodity);
    const quantity = Quantity.parse(holding.quantity);
    if (entry === undefined) {
      byCommodity.set(holding.commodity, { unit: holding.unit, quantity });
    } else if (entry.unit !== holding.unit) {
      problems.push({ commodity: holding.commodity, code: 'UNIT_MISMATCH', message: `${holding.commodity} is pledged in ${entry.unit} and in ${holding.unit}` });
    } else {
      entry.quantity = entry.quantity.add(quantity);
    }
  }
  const keep = million - Quantity.parse(loan.terms.haircut).toMillionths();
  if (keep <= 0n) throw internal(`loan terms carry a haircut of ${loan.terms.haircut}`);
  let exact = 0n;
  const commodities = [...byCommodity.keys()].sort();
  const valued = commodities.map((commodity) => {
    const { unit, quantity } = byCommodity.get(commodity) ?? { unit: '', quantity: Quantity.zero };
    const mark = marks.get(commodity);
    if (mark === undefined) {
      problems.push({ commodity, code: 'NO_MARK', message: `no price mark for ${commodity}` });
    } else if (mark.currency !== loan.currency) {
      problems.push({ commodity, code: 'CURRENCY_MISMATCH', message: `${commodity} is marked in ${mark.currency}, the loan is in ${loan.currency}` });
    } else if (mark.unit !== unit) {
      problems.push({ commodity, code: 'UNIT_MISMATCH', message: `${commodity} is marked per ${mark.unit}, pledged in ${unit}` });
    } else {
      exact += quantity.toMillionths() * Quantity.parse(mark.price).toMillionths() * keep;
    }
    return { commodity, unit, quantity: quantity.toString(), mark: mark ?? null };
  });
  const outstanding = Quantity.parse(loan.outstanding);
  if (problems.length > 0) {
    return { state: 'UNPRICED', value: null, outstanding: outstanding.toString(), ltv: null, band: null, holdings: valued, problems };
  }
  const cents = exact / toCents;
  const value = formatCents(cents);
  if (outstanding.isZero()) {
    return { state: 'VALUED', value, outstanding: outstanding.toString(), ltv: '0', band: 'OK', holdings: valued, problems };
  }
  if (cents === 0n) {
    return { state: 'VALUED', value, outstanding: outstanding.toString(), ltv: null, band: 'LIQUIDATION', holdings: valued, problems };
  }
  // ltv × 10^6 = (outstanding millionths / 10^6) / (cents / 100) × 10^6 = outstanding millionths × 100 / cents.
  const ltv = Quantity.ofMillionths((outstanding.toMillionths() * 100n) / cents);
  return { state: 'VALUED', value, outstanding: outstanding.toString(), ltv: ltv.toString(), band: bandOf(ltv.toString(), loan.terms), holdings: valued, problems };
}

/** The band of an LTV against the terms' lines: at a line counts as across it. */
export function bandOf(ltv: string | null, terms: LoanTerms): LtvBand {
  if (ltv === null) return 'LIQUIDATION';
  const value = Quantity.parse(ltv);
  if (value.compare(Quantity.parse(terms.liquidationLtv)) >= 0) return 'LIQUIDATION';
  if (value.compare(Quantity.parse(terms.warningLtv)) >= 0) return 'WARNING';
  return 'OK';
}

function formatCents(cents: bigint): string {
  const whole = cents / 100n;
  const fraction = (cents % 100n).toString().padStart(2, '0').replace(/0+$/, '');
  return fraction === '' ? whole.toString() : `${whole.toString()}.${fraction}`;
}
