import { historyEntry, type ReceiptView } from '@wr/chaincode';
import { LedgerError } from '@wr/gateway-api';
import { expect } from 'chai';
import { lender, pledgeRequest, startFixture, type Fixture } from './fixture.js';

/**
 * How the losers of a race are refused. On Fabric, every transition also rewrites the receipt key's endorsement
 * policy; a transaction writing a key whose policy an earlier transaction of the same block changed is invalidated with
 * ENDORSEMENT_POLICY_FAILURE before versions are compared. Either way nothing of the loser is written.
 */
const conflictCodes = (backend: Fixture['world']['backend']): string[] => [
  'MVCC_READ_CONFLICT',
  'ALREADY_PLEDGED',
  'INVALID_STATE',
  ...(backend === 'fabric' ? ['ENDORSEMENT_POLICY_FAILURE'] : []),
];

/** The refusals among settled calls; anything that is not a LedgerError fails the test. */
function refusals(outcomes: readonly PromiseSettledResult<unknown>[]): LedgerError[] {
  return outcomes.flatMap((outcome) => {
    if (outcome.status === 'fulfilled') return [];
    expect(outcome.reason).to.be.instanceOf(LedgerError);
    return outcome.reason instanceof LedgerError ? [outcome.reason] : [];
  });
}

describe('the double pledge race', function () {
  this.timeout(60_000);
  let f: Fixture;
  before(async () => {
    f = await startFixture();
  });
  after(async () => {
    await f.close();
  });

  const history = async (receiptId: string): Promise<ReceiptView[]> =>
    historyEntry
      .array()
      .parse(await f.world.evaluate(f.cast.supervisor, 'GetHistory', receiptId))
      .flatMap((entry) => (entry.value === null ? [] : [entry.value]));

  it('50 concurrent pledge requests and acceptances on one receipt end with exactly one active pledge', async () => {
    // A lender sees a receipt only once a request names it, so the race starts from the first request.
    const receiptId = await f.pledgeRequested('100');
    const calls = Array.from({ length: 50 }, (_, index) =>
      index % 2 === 0
        ? f.world.submit(f.cast.alice, 'RequestPledge', receiptId, pledgeRequest(`LN-RACE-${index.toString()}`))
        : f.world.submit(f.cast.officer, 'AcceptPledge', receiptId, '{}'),
    );
    const outcomes = await Promise.allSettled(calls);

    const winners = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const losers = refusals(outcomes);
    expect(winners, 'exactly one call commits').to.have.length(1);
    expect(losers).to.have.length(49);
    for (const loser of losers) expect(conflictCodes(f.world.backend), `${loser.code}: ${loser.message}`).to.include(loser.code);
    expect(outcomes.findIndex((outcome) => outcome.status === 'fulfilled') % 2, 'the winner is an acceptance').to.equal(1);

    const receipt = await f.receipt(receiptId);
    expect(receipt.status).to.equal('PLEDGED');
    expect(receipt.pledge).to.deep.include({ lender, loanReference: 'LN-1', status: 'ACTIVE', acceptedBy: 'wang' });

    const versions = await history(receiptId);
    expect(versions.map((version) => version.status)).to.deep.equal(['PLEDGED', 'PLEDGE_REQUESTED', 'ISSUED', 'DRAFT']);
    expect(versions.filter((version) => version.pledge?.status === 'ACTIVE')).to.have.length(1);
  });

  it('50 concurrent pledge requests of one issued receipt record exactly one request; the rest are refused', async () => {
    const receiptId = await f.issued('100');
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, (_, index) =>
        f.world.submit(f.cast.alice, 'RequestPledge', receiptId, pledgeRequest(`LN-REQ-${index.toString()}`, '1000')),
      ),
    );
    const winnerIndex = outcomes.findIndex((outcome) => outcome.status === 'fulfilled');
    const losers = refusals(outcomes);
    expect(losers).to.have.length(49);
    for (const loser of losers) expect(conflictCodes(f.world.backend), `${loser.code}: ${loser.message}`).to.include(loser.code);

    const receipt = await f.receipt(receiptId);
    const recorded = receipt.pledge?.loanReference;
    expect(recorded, 'the request that won is the one recorded, never overwritten').to.equal(`LN-REQ-${winnerIndex.toString()}`);
    const versions = await history(receiptId);
    expect(versions.map((version) => version.status)).to.deep.equal(['PLEDGE_REQUESTED', 'ISSUED', 'DRAFT']);
  });
});
