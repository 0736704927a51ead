import { internal, invalidArgument } from './errors';

/**
 * Decimal text as callers and records carry it: no sign, no exponent, no leading zeros, at most 15 integer digits
 * and 6 fraction digits. 15 + 6 digits stay far inside what banks' systems store as DECIMAL(21,6).
 */
export const decimalPattern = /^(0|[1-9]\d{0,14})(\.\d{1,6})?$/;

const fractionDigits = 6;
const scale = 10n ** BigInt(fractionDigits);

/**
 * An exact non-negative decimal (goods quantity or loan amount), held as an integer count of millionths. Binary
 * floating point never touches a quantity: 1000.005 split three ways must add back to exactly 1000.005.
 */
export class Quantity {
  static readonly zero = new Quantity(0n);

  private constructor(private readonly millionths: bigint) {}

  /** Parses decimal text of the form `decimalPattern` describes; anything else is INVALID_ARGUMENT naming `field`. */
  static parse(text: string, field = 'quantity'): Quantity {
    const match = decimalPattern.exec(text);
    if (match === null) {
      throw invalidArgument(`${field} must be a plain decimal like "1000.5" (up to 15 integer and 6 fraction digits)`);
    }
    const whole = match[1] ?? '0';
    const fraction = (match[2] ?? '.').slice(1).padEnd(fractionDigits, '0');
    return new Quantity(BigInt(whole) * scale + BigInt(fraction));
  }

  /** Parses and also requires the value to be greater than zero. */
  static parsePositive(text: string, field = 'quantity'): Quantity {
    const quantity = Quantity.parse(text, field);
    if (quantity.isZero()) {
      throw invalidArgument(`${field} must be greater than zero`);
    }
    return quantity;
  }

  add(other: Quantity): Quantity {
    return new Quantity(this.millionths + other.millionths);
  }

  /** Subtracts; a negative result would mean our bookkeeping is wrong, so it is an invariant failure. */
  sub(other: Quantity): Quantity {
    const difference = this.millionths - other.millionths;
    if (difference < 0n) {
      throw internal(`quantity arithmetic went negative: ${this.toString()} - ${other.toString()}`);
    }
    return new Quantity(difference);
  }

  /** -1, 0 or 1 as this is less than, equal to or greater than `other`. */
  compare(other: Quantity): -1 | 0 | 1 {
    return this.millionths < other.millionths ? -1 : this.millionths > other.millionths ? 1 : 0;
  }

  /** The exact value as an integer count of millionths (for exact products, as valuation.ts computes). */
  toMillionths(): bigint {
    return this.millionths;
  }

  /** The quantity of `millionths` millionths; a negative count is an invariant failure. */
  static ofMillionths(millionths: bigint): Quantity {
    if (millionths < 0n) {
      throw internal(`a quantity cannot be negative: ${millionths.toString()} millionths`);
    }
    return new Quantity(millionths);
  }

  isZero(): boolean {
    return this.millionths === 0n;
  }

  /** Canonical text: trailing fraction zeros stripped ("1000.500" -> "1000.5", "2.000" -> "2"). */
  toString(): string {
    const whole = this.millionths / scale;
    const fraction = (this.millionths % scale).toString().padStart(fractionDigits, '0').replace(/0+$/, '');
    return fraction === '' ? whole.toString() : `${whole.toString()}.${fraction}`;
  }
}

/** Sums quantities exactly. */
export function sumQuantities(quantities: readonly Quantity[]): Quantity {
  return quantities.reduce((total, quantity) => total.add(quantity), Quantity.zero);
}
