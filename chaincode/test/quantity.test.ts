import assert from 'node:assert/strict';
import { ChaincodeError } from '../src/errors';
import { Quantity, sumQuantities } from '../src/quantity';

const hasCode =
  (code: string) =>
  (error: unknown): boolean =>
    error instanceof ChaincodeError && error.code === code;

/** Asserts that parsing refuses the text as the caller's mistake (INVALID_ARGUMENT), not as a crash. */
function assertRefused(text: string): void {
  assert.throws(
    () => Quantity.parse(text),
    hasCode('INVALID_ARGUMENT'),
    `expected ${JSON.stringify(text)} to be refused`,
  );
}

describe('Quantity', () => {
  describe('parse and format', () => {
    it('formats back to canonical text with trailing fraction zeros stripped', () => {
      assert.equal(Quantity.parse('1000.500').toString(), '1000.5');
      assert.equal(Quantity.parse('2.000').toString(), '2');
      assert.equal(Quantity.parse('0.000001').toString(), '0.000001');
      assert.equal(Quantity.parse('0').toString(), '0');
      assert.equal(Quantity.parse('0.0').toString(), '0');
      assert.equal(Quantity.parse('999999999999999.999999').toString(), '999999999999999.999999');
    });

    it('refuses exponents, signs, leading zeros, too many fraction digits, blanks, padding and huge values', () => {
      const malformed = ['1e3', '1E3', '-1', '+1', '01', '00', '00.5', '1.0000001', '', ' 1', '1 ', '.5', '1.', '1,5'];
      const strange = ['NaN', 'Infinity', '0x10', '１', '1000000000000000', '9999999999999999.5'];
      for (const text of [...malformed, ...strange]) {
        assertRefused(text);
      }
    });

    it('refuses zero where a positive quantity is required', () => {
      assert.throws(() => Quantity.parsePositive('0.000000'), hasCode('INVALID_ARGUMENT'));
      assert.equal(Quantity.parsePositive('0.000001').toString(), '0.000001');
    });

    it('names the field in the refusal so the caller knows which argument was wrong', () => {
      const namesField = (error: unknown): boolean => error instanceof ChaincodeError && error.reason.startsWith('loanAmount');
      assert.throws(() => Quantity.parse('x', 'loanAmount'), namesField);
    });
  });

  describe('arithmetic', () => {
    it('adds exactly where binary floating point would not (0.1 + 0.2 = 0.3)', () => {
      assert.equal(Quantity.parse('0.1').add(Quantity.parse('0.2')).toString(), '0.3');
    });

    it('splits 1000.005 into three parts that add back to exactly 1000.005', () => {
      const whole = Quantity.parse('1000.005');
      const first = Quantity.parse('333.335');
      const rest = whole.sub(first);
      assert.equal(rest.toString(), '666.67');
      const second = Quantity.parse('333.335');
      const third = rest.sub(second);
      assert.equal(third.toString(), '333.335');
      assert.equal(sumQuantities([first, second, third]).compare(whole), 0);
    });

    it('subtracts to zero but refuses to go negative, which would mean broken bookkeeping', () => {
      assert.equal(Quantity.parse('5').sub(Quantity.parse('5')).isZero(), true);
      assert.throws(() => Quantity.parse('1').sub(Quantity.parse('1.000001')), hasCode('INTERNAL'));
    });

    it('compares by value, not by text', () => {
      assert.equal(Quantity.parse('1.5').compare(Quantity.parse('1.50')), 0);
      assert.equal(Quantity.parse('1.499999').compare(Quantity.parse('1.5')), -1);
      assert.equal(Quantity.parse('10').compare(Quantity.parse('9.999999')), 1);
      assert.equal(Quantity.parse('100').compare(Quantity.parse('99')), 1);
    });

    it('keeps the largest quantities exact (no precision lost at 15 integer digits)', () => {
      const big = Quantity.parse('999999999999999.999999');
      assert.equal(big.sub(Quantity.parse('0.000001')).toString(), '999999999999999.999998');
      assert.equal(big.add(Quantity.parse('0.000001')).toString(), '1000000000000000');
    });

    it('sums an empty list to zero', () => {
      assert.equal(sumQuantities([]).isZero(), true);
    });
  });
});
