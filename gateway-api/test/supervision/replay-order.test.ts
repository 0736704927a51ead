import { expect } from 'chai';
import { z } from 'zod';
import { ManualClock } from '../../src/testing/manual-clock.js';
import { useTestGateway } from '../support/gateway.js';
import { testDatabases } from '../support/postgres.js';
import { uid } from '../http/helpers.js';
import { alarmsSeen, minute, placedDevice, pledgedLot, series, submit } from './support.js';

const targets = await testDatabases();
const replayReply = z.object({ data: z.looseObject({ identical: z.boolean(), changes: z.number(), storedChanges: z.number(), firstDifference: z.unknown() }) });

for (const target of targets) {
  describe(`Replay feeds the logged ticks in leaf order past leaf 9 on ${target.name}`, function () {
    this.timeout(120_000);
    const clock = new ManualClock(new Date());
    const gw = useTestGateway(target, { RULES_DEFAULT_TEMPLATES: 'chilled', RULES_TICK_MS: '1000' }, { clock });

    /** Moves the clock a tick on until the alarms on the lot satisfy `condition` (the loop wakes on the clock). */
    async function tickUntil(lotId: string, condition: (offline: { status: string }[]) => boolean): Promise<void> {
      for (let attempt = 0; attempt < 200; attempt++) {
        const offline = (await alarmsSeen(gw(), 'custodian.auditor', `?lotId=${lotId}`)).filter((alarm) => alarm.kind === 'offline');
        if (condition(offline)) return;
        clock.advance(1_000);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect.fail('the tick did not come');
    }

    it('a tick logged after leaf 9 is fed before leaf 10, not after the ticks logged after leaf 10 and above', async () => {
      const gateway = gw();
      const lot = await pledgedLot(gateway, { warehouseId: uid('WH-ORDER') });
      const device = await placedDevice(gateway, lot);
      // Ten readings an hour old (leaves 0-9); a tick makes the device offline; the eleventh reading (leaf 10)
      // clears it; a later tick is logged after leaf 10. Sorted as text, "10" came before "9".
      const start = clock.now().getTime() - 60 * minute;
      await submit(gateway, series(device, start, Array<number>(10).fill(2.5)));
      await gateway.gateway.supervisionSettled();
      await tickUntil(lot.lotId, (offline) => offline.some((alarm) => alarm.status === 'ACTIVE'));
      await submit(gateway, series(device, clock.now().getTime() - minute, [2.5], 11));
      await gateway.gateway.supervisionSettled();
      await tickUntil(lot.lotId, (offline) => offline.length > 0 && offline.every((alarm) => alarm.status !== 'ACTIVE'));
      clock.advance(2_000);
      await gateway.gateway.supervisionSettled();

      const result = replayReply.parse((await gateway.request('custodian.auditor', 'POST', '/v1/rules/replay', { body: {} })).body).data;
      expect(result.firstDifference).to.equal(null);
      expect(result).to.deep.include({ identical: true, changes: result.storedChanges });
    });
  });
}
