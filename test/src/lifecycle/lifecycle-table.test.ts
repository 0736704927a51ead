import {
  receiptStatuses,
  transitionOf,
  transitions,
  type ReceiptStatus,
  type ReceiptTx,
  type Transition,
} from '@wr/chaincode';
import { expect } from 'chai';
import {
  castMembers,
  castRoles,
  codeOf,
  expectRefusedUnchanged,
  expectSubmitRefused,
  pledgeRequest,
  startFixture,
  type Cast,
  type Fixture,
} from './fixture.js';

type Move = Exclude<ReceiptTx, 'DraftReceipt'>;

/**
 * How the right party makes each move on a receipt from `Fixture.inState`, what it needs first, and the state it
 * must leave the receipt in (written out from docs/design.md, independently of the chaincode's table).
 */
const moves: Record<Move, {
  readonly by: keyof Cast;
  readonly args: readonly string[];
  readonly prepare?: (f: Fixture, receiptId: string) => Promise<unknown>;
  /** Where the move starts instead of `Fixture.inState` (a receipt its move needs more than a state for). */
  readonly start?: (f: Fixture) => Promise<string>;
  readonly after: (from: ReceiptStatus) => ReceiptStatus;
}> = {
  ConfirmReceipt: { by: 'supervisor', args: [], after: () => 'ISSUED' },
  CancelDraft: { by: 'clerk', args: ['drafted in error'], after: () => 'CANCELLED' },
  RequestPledge: { by: 'alice', args: [pledgeRequest()], after: () => 'PLEDGE_REQUESTED' },
  AcceptPledge: { by: 'officer', args: ['{}'], after: () => 'PLEDGED' },
  RejectPledge: { by: 'officer', args: ['collateral not eligible'], after: () => 'ISSUED' },
  // Below the threshold of 50, so it executes: 30 released, 70 stays pledged, the parent is SPLIT.
  ReleasePledge: { by: 'officer', args: ['30'], after: () => 'SPLIT' },
  ApproveRelease: {
    by: 'approver',
    args: [],
    prepare: (f, id) => f.world.submit(f.cast.officer, 'ReleasePledge', id, '100'),
    after: () => 'ISSUED',
  },
  RejectRelease: {
    by: 'approver',
    args: ['collateral still needed'],
    prepare: (f, id) => f.world.submit(f.cast.officer, 'ReleasePledge', id, '100'),
    after: () => 'PLEDGED',
  },
  // 30 of 100 t would leave the loan at LTV 0.714, at or above its warning line 0.7 (Fixture.covenanted).
  RequestReleaseOverride: { by: 'officer', args: ['30'], start: (f) => f.covenanted(), after: () => 'PLEDGED' },
  OverrideCovenant: {
    by: 'approver',
    args: ['the risk committee accepts the exposure'],
    start: (f) => f.covenanted(),
    prepare: (f, id) => f.world.submit(f.cast.officer, 'RequestReleaseOverride', id, '30'),
    after: () => 'SPLIT',
  },
  TransferOwnership: { by: 'alice', args: ['bob'], after: () => 'ISSUED' },
  SplitReceipt: { by: 'alice', args: ['["40","60"]'], after: () => 'SPLIT' },
  RequestWithdrawal: { by: 'alice', args: [], after: () => 'WITHDRAWAL_REQUESTED' },
  ConfirmDelivery: { by: 'supervisor', args: [], after: () => 'DELIVERED' },
  Freeze: { by: 'supervisor', args: ['stock inspection', 'INS-7'], after: (from) => from },
  Unfreeze: {
    by: 'supervisor',
    args: ['inspection passed'],
    prepare: (f, id) => f.world.submit(f.cast.supervisor, 'Freeze', id, 'stock inspection', 'INS-7'),
    after: (from) => from,
  },
  DeclareDefault: { by: 'approver', args: ['loan payment missed'], after: () => 'DEFAULTED' },
  Dispose: { by: 'approver', args: ['bob'], after: () => 'ISSUED' },
};

type MoveRow = Transition & { readonly tx: Move };
const rows = transitions.filter((row): row is MoveRow => row.tx !== 'DraftReceipt');

/** Whether a lender (officer or approver) can see a receipt in this state along the ordinary path. */
const lenderSees = (status: ReceiptStatus): boolean => ['PLEDGE_REQUESTED', 'PLEDGED', 'DEFAULTED'].includes(status);

/** The code the right party gets when trying a move from a state the move does not start from. */
function wrongStateCode(row: MoveRow, status: ReceiptStatus): string {
  if (castRoles[moves[row.tx].by].org === 'lender' && !lenderSees(status)) return 'NOT_FOUND';
  if (row.refuse?.states.includes(status)) return row.refuse.code;
  return 'INVALID_STATE';
}

/** Whether a cast member's org and role are among those the row allows. */
const allowedBy = (row: Transition, member: keyof Cast): boolean =>
  row.who.some((who) => who.org === castRoles[member].org && who.roles.some((role) => role === castRoles[member].role));

describe('the receipt lifecycle table', function () {
  this.timeout(120_000);
  let f: Fixture;
  const inState = new Map<ReceiptStatus, string>();

  before(async () => {
    f = await startFixture();
    for (const status of receiptStatuses) inState.set(status, await f.inState(status));
  });
  after(async () => {
    await f.close();
  });

  const move = (tx: Move, receiptId: string, by: keyof Cast = moves[tx].by): Promise<unknown> =>
    f.world.submit(f.cast[by], tx, receiptId, ...moves[tx].args);

  /** A receipt in `status` on which `tx` is ready to run (its preparation done). */
  const ready = async (tx: Move, status: ReceiptStatus): Promise<string> => {
    const start = moves[tx].start;
    const receiptId = start === undefined ? await f.inState(status) : await start(f);
    await moves[tx].prepare?.(f, receiptId);
    return receiptId;
  };

  describe('allowed moves', () => {
    for (const row of rows) {
      for (const from of row.from) {
        const expected = moves[row.tx].after(from);
        it(`${row.tx} by the ${moves[row.tx].by} moves a receipt from ${from} to ${expected}`, async () => {
          expect(row.to === 'unchanged' ? [from] : row.to, 'the chaincode table agrees').to.include(expected);
          const receiptId = await ready(row.tx, from);
          await move(row.tx, receiptId);
          expect((await f.receipt(receiptId)).status).to.equal(expected);
        });
      }
    }
  });

  describe('moves from the wrong state change nothing', () => {
    for (const row of rows) {
      for (const status of receiptStatuses.filter((candidate) => !row.from.includes(candidate))) {
        const code = wrongStateCode(row, status);
        it(`${row.tx} on a receipt in ${status} is refused with ${code}`, async () => {
          const receiptId = inState.get(status) ?? expect.fail(`no ${status} receipt`);
          await expectRefusedUnchanged(f, receiptId, code, () => move(row.tx, receiptId));
        });
      }
    }
  });

  describe('moves by the wrong organisation or role change nothing', () => {
    for (const row of rows) {
      const intruders = castMembers.filter((member) => !allowedBy(row, member));
      it(`${row.tx} is FORBIDDEN to ${intruders.join(', ')}`, async () => {
        const receiptId = await ready(row.tx, row.from[0] ?? expect.fail('no from state'));
        for (const intruder of intruders) {
          await expectRefusedUnchanged(f, receiptId, 'FORBIDDEN', () => move(row.tx, receiptId, intruder));
        }
        await move(row.tx, receiptId);
        const status = (await f.receipt(receiptId)).status;
        expect(status, 'the right party could still make the move').to.equal(moves[row.tx].after(row.from[0] ?? 'DRAFT'));
      });
    }

    for (const row of rows.filter((candidate) => moves[candidate.tx].by === 'alice')) {
      it(`${row.tx} by another owner (bob) is NOT_FOUND: he cannot even see alice's receipt`, async () => {
        const receiptId = await ready(row.tx, row.from[0] ?? 'ISSUED');
        await expectRefusedUnchanged(f, receiptId, 'NOT_FOUND', () => move(row.tx, receiptId, 'bob'));
      });
    }
  });

  describe('a frozen receipt does not move', () => {
    for (const row of rows.filter((candidate) => !candidate.whileFrozen)) {
      const from = row.from[0] ?? 'DRAFT';
      it(`${row.tx} on a frozen receipt in ${from} is refused with FROZEN, and allowed once unfrozen`, async () => {
        const receiptId = await ready(row.tx, from);
        await f.world.submit(f.cast.supervisor, 'Freeze', receiptId, 'weight discrepancy', 'INS-9');
        await expectRefusedUnchanged(f, receiptId, 'FROZEN', () => move(row.tx, receiptId));
        await f.world.submit(f.cast.supervisor, 'Unfreeze', receiptId, 'reweighed');
        await move(row.tx, receiptId);
        expect((await f.receipt(receiptId)).status).to.equal(moves[row.tx].after(from));
      });
    }
  });

  describe('four eyes', () => {
    it('the clerk who drafted a receipt cannot confirm it with a supervisor certificate (same CN): FOUR_EYES', async () => {
      const receiptId = await f.inState('DRAFT');
      await expectSubmitRefused(f, 'FOUR_EYES', f.cast.zhangAsSupervisor, 'ConfirmReceipt', receiptId);
      await f.world.submit(f.cast.supervisor, 'ConfirmReceipt', receiptId);
      expect(await f.receipt(receiptId)).to.include({ status: 'ISSUED', draftedBy: 'zhang', confirmedBy: 'li' });
    });

    it('the officer who requested a release cannot approve it with an approver certificate (same CN): FOUR_EYES', async () => {
      const receiptId = await ready('ApproveRelease', 'PLEDGED');
      await expectSubmitRefused(f, 'FOUR_EYES', f.cast.wangAsApprover, 'ApproveRelease', receiptId);
      await f.world.submit(f.cast.approver, 'ApproveRelease', receiptId);
      expect((await f.receipt(receiptId)).status).to.equal('ISSUED');
    });
  });

  describe('the order of the checks', () => {
    it('a wrong role on a frozen receipt in the wrong state hears FORBIDDEN first', async () => {
      const receiptId = await f.inState('ISSUED');
      await f.world.submit(f.cast.supervisor, 'Freeze', receiptId, 'inspection', 'INS-1');
      await expectSubmitRefused(f, 'FORBIDDEN', f.cast.custodianAuditor, 'ConfirmReceipt', receiptId);
    });

    it('the right role on a frozen receipt in the wrong state hears FROZEN before INVALID_STATE', async () => {
      const receiptId = await f.inState('ISSUED');
      await f.world.submit(f.cast.supervisor, 'Freeze', receiptId, 'inspection', 'INS-1');
      await expectSubmitRefused(f, 'FROZEN', f.cast.supervisor, 'ConfirmReceipt', receiptId);
    });

    it('a wrong role asking about a receipt that does not exist hears FORBIDDEN, the right role NOT_FOUND', async () => {
      expect(await codeOf(f.world.submit(f.cast.custodianAuditor, 'ConfirmReceipt', 'NO-SUCH'))).to.equal('FORBIDDEN');
      expect(await codeOf(f.world.submit(f.cast.officer, 'ConfirmReceipt', 'NO-SUCH'))).to.equal('FORBIDDEN');
      expect(await codeOf(f.world.submit(f.cast.supervisor, 'ConfirmReceipt', 'NO-SUCH'))).to.equal('NOT_FOUND');
      expect(await codeOf(f.world.submit(f.cast.officer, 'AcceptPledge', 'NO-SUCH', '{}'))).to.equal('NOT_FOUND');
    });

    it('malformed arguments are INVALID_ARGUMENT before anything else, even for an auditor', async () => {
      const receiptId = await f.inState('PLEDGED');
      await expectSubmitRefused(f, 'INVALID_ARGUMENT', f.cast.lenderAuditor, 'ReleasePledge', receiptId, '1e3');
      await expectSubmitRefused(f, 'INVALID_ARGUMENT', f.cast.officer, 'AcceptPledge', receiptId, '{"releaseApprovalThreshold":5}');
      await expectSubmitRefused(f, 'INVALID_ARGUMENT', f.cast.officer, 'ReleasePledge', receiptId, '100.000001');
    });

    it('arguments that contradict the receipt or the registry are INVALID_ARGUMENT', async () => {
      const receiptId = await f.inState('ISSUED');
      const toBorrower = JSON.stringify({ lender: 'BorrowerMSP', loanReference: 'LN-X', loanAmount: '1', currency: 'CNY' });
      const lowerCase = JSON.stringify({ lender: 'LenderMSP', loanReference: 'LN-X', loanAmount: '1', currency: 'cny' });
      await expectSubmitRefused(f, 'INVALID_ARGUMENT', f.cast.alice, 'RequestPledge', receiptId, toBorrower);
      await expectSubmitRefused(f, 'INVALID_ARGUMENT', f.cast.alice, 'RequestPledge', receiptId, lowerCase);
      await expectSubmitRefused(f, 'INVALID_ARGUMENT', f.cast.alice, 'RequestPledge', receiptId, pledgeRequest('LN-X', '0'));
      await expectSubmitRefused(f, 'INVALID_ARGUMENT', f.cast.alice, 'TransferOwnership', receiptId, 'alice');
      await expectSubmitRefused(f, 'INVALID_ARGUMENT', f.cast.alice, 'TransferOwnership', receiptId, 'BorrowerMSP/bob');
    });

    it('ALREADY_PLEDGED comes before INVALID_STATE: asking to pledge a pledged receipt says it is pledged', async () => {
      expect(transitionOf('RequestPledge').refuse?.code).to.equal('ALREADY_PLEDGED');
      const receiptId = await f.inState('PLEDGED');
      await expectSubmitRefused(f, 'ALREADY_PLEDGED', f.cast.alice, 'RequestPledge', receiptId, pledgeRequest('LN-2'));
    });
  });
});

