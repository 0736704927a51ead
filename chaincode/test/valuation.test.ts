import assert from 'node:assert/strict';
import { ChaincodeError } from '../src/errors';
import type { LoanTerms } from '../src/model';
import { bandOf, checkTerms, defaultTerms, valueLoan, type Holding, type MarkInForce } from '../src/valuation';

// Expected figures were worked out separately with Python's decimal module (60 digits, ROUND_FLOOR), not with this code.

const terms = (fields: Partial<LoanTerms> = {}): LoanTerms => ({ ...defaultTerms, ...fields });
const mark = (commodity: string, price: string, fields: Partial<MarkInForce> = {}): [string, MarkInForce] => [
  commodity,
  { commodity, unit: 't', price, currency: 'CNY', asOf: '2026-12-02T07:00:00.000Z', ...fields },
];
const loan = (outstanding: string, fields: Partial<LoanTerms> = {}) => ({ currency: 'CNY', outstanding, terms: terms(fields) });
const holding = (commodity: string, quantity: string, unit = 't'): Holding => ({ commodity, unit, quantity });

describe('valuation (the one rounding rule)', () => {
  it('multiplies exactly, rounds the value down to the cent once and the LTV down to 6 places', () => {
    // 33.333333 t × 1234.567891 × (1 − 0.125) = 36008.229794084365125 → 36008.22; 25000 / 36008.22 = 0.69428554… → 0.694285
    const valued = valueLoan(loan('25000', { haircut: '0.125' }), [holding('nickel', '33.333333')], new Map([mark('nickel', '1234.567891')]));
    assert.equal(valued.state, 'VALUED');
    assert.equal(valued.value, '36008.22');
    assert.equal(valued.ltv, '0.694285');
    assert.equal(valued.band, 'OK');
  });

  it('sums the holdings before rounding: two half-cents make a cent', () => {
    // 0.5 × 0.019 = 0.0095 each: each alone rounds to 0.00; their sum 0.019 rounds to 0.01.
    const marks = new Map([mark('a', '0.019'), mark('b', '0.019')]);
    assert.equal(valueLoan(loan('0'), [holding('a', '0.5')], marks).value, '0');
    assert.equal(valueLoan(loan('0'), [holding('a', '0.5'), holding('b', '0.5')], marks).value, '0.01');
  });

  it('adds receipts of one commodity together, and values several commodities at their own marks', () => {
    // (1.000001 + 2.000002) × 3.333333 × 0.9 = 9.0000080999991 → 9.00; 7.5 / 9 = 0.8333… → 0.833333
    const valued = valueLoan(loan('7.5', { haircut: '0.1' }), [holding('zinc', '1.000001'), holding('zinc', '2.000002')], new Map([mark('zinc', '3.333333')]));
    assert.equal(valued.value, '9');
    assert.equal(valued.ltv, '0.833333');
    assert.deepEqual(valued.holdings.map((each) => [each.commodity, each.quantity]), [['zinc', '3.000003']]);
  });

  it('puts an LTV exactly at a line across it, and a millionth below it under it', () => {
    const lines = terms({ warningLtv: '0.7', liquidationLtv: '0.85' });
    assert.equal(bandOf('0.699999', lines), 'OK');
    assert.equal(bandOf('0.7', lines), 'WARNING');
    assert.equal(bandOf('0.849999', lines), 'WARNING');
    assert.equal(bandOf('0.85', lines), 'LIQUIDATION');
    assert.equal(bandOf(null, lines), 'LIQUIDATION');
    // 700000 / (100 × 10000) is exactly 0.7; at 10000.01 it is 0.69999930… → 0.699999
    assert.equal(valueLoan(loan('700000'), [holding('cu', '100')], new Map([mark('cu', '10000')])).band, 'WARNING');
    assert.equal(valueLoan(loan('700000'), [holding('cu', '100')], new Map([mark('cu', '10000.01')])).band, 'OK');
    // 700000 / 823529 = 0.85000018… → 0.85: liquidation; 700000 / 823530 = 0.84999939… → warning
    assert.equal(valueLoan(loan('700000'), [holding('cu', '100')], new Map([mark('cu', '8235.29')])).band, 'LIQUIDATION');
    assert.equal(valueLoan(loan('700000'), [holding('cu', '100')], new Map([mark('cu', '8235.3')])).band, 'WARNING');
  });

  it('refuses to convert: a mark in another currency or unit leaves the loan UNPRICED, never valued', () => {
    const inUsd = valueLoan(loan('100'), [holding('cu', '1')], new Map([mark('cu', '9000', { currency: 'USD' })]));
    assert.equal(inUsd.state, 'UNPRICED');
    assert.equal(inUsd.value, null);
    assert.equal(inUsd.ltv, null);
    assert.deepEqual(inUsd.problems.map((problem) => problem.code), ['CURRENCY_MISMATCH']);
    const perKg = valueLoan(loan('100'), [holding('cu', '1')], new Map([mark('cu', '9', { unit: 'kg' })]));
    assert.deepEqual(perKg.problems.map((problem) => problem.code), ['UNIT_MISMATCH']);
    const unmarked = valueLoan(loan('100'), [holding('cu', '1'), holding('al', '1')], new Map([mark('cu', '9000')]));
    assert.deepEqual(unmarked.problems.map((problem) => [problem.commodity, problem.code]), [['al', 'NO_MARK']]);
  });

  it('a repaid loan is at LTV 0; a loan with money out and no collateral left is at the liquidation line', () => {
    assert.deepEqual([valueLoan(loan('0'), [], new Map()).ltv, valueLoan(loan('0'), [], new Map()).band], ['0', 'OK']);
    const bare = valueLoan(loan('1'), [], new Map());
    assert.deepEqual([bare.state, bare.value, bare.ltv, bare.band], ['VALUED', '0', null, 'LIQUIDATION']);
  });

  it('checks terms: a haircut below 1, the warning line below the liquidation line', () => {
    const refused = (fields: Partial<LoanTerms>): void =>
      assert.throws(() => checkTerms(terms(fields)), (error: unknown) => error instanceof ChaincodeError && error.code === 'INVALID_ARGUMENT');
    refused({ haircut: '1' });
    refused({ warningLtv: '0.85', liquidationLtv: '0.85' });
    refused({ warningLtv: '0.9', liquidationLtv: '0.85' });
    refused({ warningLtv: '0' });
    refused({ liquidationLtv: '10.5', warningLtv: '1' });
    checkTerms(terms({ haircut: '0.3', warningLtv: '0.6', liquidationLtv: '1.2' }));
  });
});
