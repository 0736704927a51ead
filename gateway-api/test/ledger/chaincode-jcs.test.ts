import { InvalidArgumentError, jcs } from '@wr/anchor';
import { toCanonicalJson } from '@wr/chaincode/marshal';
import { expect } from 'chai';

/**
 * The chaincode keeps its own canonical JSON (chaincode/src/marshal.ts says why); for what it writes, its bytes must
 * be RFC 8785's, as the code base's one JCS (@wr/anchor) writes them.
 */

const lot = {
  docType: 'lot',
  id: 'LOT-2026-0001',
  warehouseId: 'WH-NAIROBI-3',
  location: 'Bay 7, row C',
  commodity: 'maize (white, grade 2)',
  unit: 't',
  quantity: '1000.005',
  receiptedQuantity: '0',
  documents: [{ name: 'weighbridge-ticket-0042.pdf', sha256: 'ab'.repeat(32) }],
  custodian: 'CustodianMSP',
  registeredBy: 'clerk.wanjiru',
  registeredAt: '2026-01-15T08:00:00.000Z',
  lastCount: null,
  shortfall: null,
};

const receipt = {
  docType: 'receipt',
  id: 'WR-0001',
  lotId: 'LOT-2026-0001',
  warehouseId: 'WH-NAIROBI-3',
  commodity: 'maize',
  unit: 't',
  quantity: '250',
  owner: { mspId: 'BorrowerMSP', id: 'alice' },
  custodian: 'CustodianMSP',
  status: 'PLEDGED',
  freezes: [{ org: 'LenderMSP', by: 'officer.bo', reason: 'audit "Q1" \\ review', reference: 'REF\t1', at: '2026-01-16T09:30:00Z', riskEventId: null }],
  pledge: {
    lender: 'LenderMSP',
    loanReference: 'LN-77',
    loanAmount: '150000.50',
    currency: 'KES',
    status: 'ACTIVE',
    requestedBy: 'alice',
    requestedAt: '2026-01-15T10:00:00Z',
    acceptedBy: 'officer.bo',
    acceptedAt: '2026-01-15T11:00:00Z',
    releaseApprovalThreshold: null,
    defaultedAt: null,
  },
  pendingRelease: null,
  parentId: null,
  children: [],
  draftedBy: 'clerk.wanjiru',
  draftedAt: '2026-01-15T08:30:00Z',
  confirmedBy: 'supervisor.otieno',
  confirmedAt: '2026-01-15T09:00:00Z',
  updatedAt: '2026-01-16T09:30:00Z',
  lastTxId: 'f'.repeat(64),
  description: 'Maïs blanc — 仓单 №1, line\u2028separator, control \u0001 and emoji \ud83c\udf3d',
};

const checkpoint = {
  docType: 'checkpoint',
  seq: 12,
  root: `0x${'12'.repeat(32)}`,
  hash: `0x${'34'.repeat(32)}`,
  leafCount: 1024,
  firstLeafIndex: 9_007_199_254_740_000,
  anchor: { chainId: 31337, contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3', txHash: `0x${'56'.repeat(32)}`, blockNumber: 0 },
  recordedBy: 'device-gateway',
  recordedAt: '2026-01-15T08:10:00Z',
  txId: 'e'.repeat(64),
};

const riskEvent = {
  docType: 'risk',
  id: 'risk-alm_5d41402abc4b2a76b9719d911017c592',
  receiptId: null,
  lotId: 'LOT-2026-0001',
  kind: 'STOCK_RECONCILIATION',
  severity: 'major',
  detail: 'load cells 2.1% under receipted for 30 min',
  evidenceRef: null,
  alarm: { alarmId: 'alm_5d41402abc4b2a76b9719d911017c592', ruleHash: '9f'.repeat(32), evidenceRoot: `0x${'2c'.repeat(32)}` },
  status: 'OPEN',
  recordedBy: 'device-gateway',
  recordedAt: '2026-01-15T08:20:00Z',
  resolvedBy: null,
  resolvedAt: null,
  resolution: null,
};

/** Keys whose UTF-16 order differs from their code point order and from their UTF-8 byte order. */
const unicodeKeys = { '\ufb33': 3, '\ud83d\ude00': 2, '\u20ac': 1, é: 0, Z: -1, a: [{ '\ud800\udc00': true, '\uffff': false }], '': null, '1': 'one', '10': 'ten', '9': 'nine' };

describe("the chaincode's marshal and the one JCS", () => {
  for (const [what, record] of Object.entries({ lot, receipt, checkpoint, riskEvent, unicodeKeys })) {
    it(`write the same bytes for a ${what} record`, () => {
      expect(toCanonicalJson(record)).to.equal(jcs(record));
    });
  }

  it('order keys by UTF-16 code units, as RFC 8785 says (U+20AC < U+1F600 < U+FB33)', () => {
    const text = jcs(unicodeKeys);
    expect(text.indexOf('"\u20ac"')).to.be.lessThan(text.indexOf('"\ud83d\ude00"'));
    expect(text.indexOf('"\ud83d\ude00"')).to.be.lessThan(text.indexOf('"\ufb33"'));
    expect(toCanonicalJson(unicodeKeys)).to.equal(text);
  });

  it('write the same bytes for random records of strings, integers, booleans, null, arrays and objects', () => {
    let state = 6962;
    const next = (bound: number): number => {
      state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
      return state % bound;
    };
    const alphabet = ['a', 'B', '0', 'é', '\u20ac', '\ud83d\ude00', '\ufb33', '"', '\\', '\n', '\u0000', '\u2028', ' '];
    const text = (): string => Array.from({ length: next(6) }, () => alphabet[next(alphabet.length)]).join('');
    const value = (depth: number): unknown => {
      switch (depth > 3 ? next(4) : next(6)) {
        case 0:
          return text();
        case 1:
          return next(2) === 0 ? next(1_000_000) - 500_000 : Number.MAX_SAFE_INTEGER - next(1000);
        case 2:
          return next(2) === 0;
        case 3:
          return null;
        case 4:
          return Array.from({ length: next(4) }, () => value(depth + 1));
        default:
          return Object.fromEntries(Array.from({ length: next(5) }, () => [text(), value(depth + 1)]));
      }
    };
    for (let i = 0; i < 500; i++) {
      const record = { docType: text(), body: value(0) };
      expect(toCanonicalJson(record), JSON.stringify(record)).to.equal(jcs(record));
    }
  });

  it('differ where JCS refuses the input: a lone surrogate, which the chaincode escapes and the gateway refuses before it', () => {
    expect(toCanonicalJson({ k: 'a\ud800' })).to.equal('{"k":"a\\ud800"}');
    expect(() => jcs({ k: 'a\ud800' })).to.throw(InvalidArgumentError);
  });
});
