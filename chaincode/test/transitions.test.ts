import assert from 'node:assert/strict';
import { rolesByOrg } from '../src/roles';
import {
  liveStatuses,
  receiptStatuses,
  receiptTxs,
  recordAccess,
  terminalStatuses,
  transitionOf,
  transitions,
  type ReceiptStatus,
} from '../src/transitions';

const statusSet = new Set<string>(receiptStatuses);

describe('the transition table', () => {
  it('has exactly one row per receipt transaction', () => {
    assert.deepEqual(
      transitions.map((row) => row.tx).sort(),
      [...receiptTxs].sort(),
    );
  });

  it('names only known states', () => {
    for (const row of transitions) {
      for (const status of [...row.from, ...(row.to === 'unchanged' ? [] : row.to), ...(row.refuse?.states ?? [])]) {
        assert.ok(statusSet.has(status), `${row.tx} names unknown state ${status}`);
      }
    }
  });

  it('never moves a receipt out of a terminal state', () => {
    const terminal = new Set<ReceiptStatus>(terminalStatuses);
    for (const row of transitions) {
      assert.ok(row.from.every((status) => !terminal.has(status)), `${row.tx} starts from a terminal state`);
    }
  });

  it('only creates receipts in DRAFT, and only DraftReceipt creates', () => {
    const creators = transitions.filter((row) => row.from.length === 0);
    assert.deepEqual(creators.map((row) => row.tx), ['DraftReceipt']);
    assert.deepEqual(creators[0]?.to, ['DRAFT']);
  });

  it('reaches every state from DRAFT', () => {
    const reached = new Set<ReceiptStatus>(['DRAFT']);
    for (let grew = true; grew; ) {
      grew = false;
      for (const row of transitions) {
        if (row.to !== 'unchanged' && row.from.some((status) => reached.has(status))) {
          for (const status of row.to) {
            if (!reached.has(status)) {
              reached.add(status);
              grew = true;
            }
          }
        }
      }
    }
    assert.deepEqual([...reached].sort(), [...receiptStatuses].sort());
  });

  it('lets only the holds themselves run on a frozen receipt', () => {
    assert.deepEqual(
      transitions.filter((row) => row.whileFrozen).map((row) => row.tx),
      ['Freeze', 'Unfreeze'],
    );
  });

  it('lets holds be placed in every live state and in no other', () => {
    assert.deepEqual([...transitionOf('Freeze').from], [...liveStatuses]);
    assert.deepEqual([...transitionOf('Unfreeze').from], [...liveStatuses]);
  });

  it('refuses a second pledge with ALREADY_PLEDGED on states the transaction cannot start from', () => {
    for (const tx of ['RequestPledge', 'AcceptPledge'] as const) {
      const row = transitionOf(tx);
      assert.equal(row.refuse?.code, 'ALREADY_PLEDGED');
      assert.ok(row.refuse.states.every((status) => !row.from.includes(status)));
    }
  });

  it('never lets an auditor write, and names only roles the organisation issues', () => {
    const everyWho = [...transitions.map((row) => row.who), ...Object.values(recordAccess)];
    for (const who of everyWho) {
      assert.ok(who.length > 0);
      for (const allowed of who) {
        assert.ok(!allowed.roles.some((role) => role === 'auditor'));
        const issued: readonly string[] = rolesByOrg[allowed.org];
        assert.ok(allowed.roles.every((role) => issued.includes(role)), `${allowed.org} does not issue ${allowed.roles.join(',')}`);
      }
    }
  });

  it('keeps the maker and the checker apart: drafting and confirming, requesting and approving a release', () => {
    assert.deepEqual(transitionOf('DraftReceipt').who, [{ org: 'custodian', roles: ['clerk'] }]);
    assert.deepEqual(transitionOf('ConfirmReceipt').who, [{ org: 'custodian', roles: ['supervisor'] }]);
    assert.deepEqual(transitionOf('ReleasePledge').who, [{ org: 'lender', roles: ['officer'] }]);
    assert.deepEqual(transitionOf('ApproveRelease').who, [{ org: 'lender', roles: ['approver'] }]);
  });

  it("lets the custodian's supervisor and its device gateway (load-cell reconciliation) count stock, nobody else", () => {
    assert.deepEqual(recordAccess.RecordStockCount, [{ org: 'custodian', roles: ['supervisor', 'device-gateway'] }]);
  });
});
