import { Contract, type Context } from 'fabric-contract-api';

/** One blind write per transaction: the ledger's own cost, with no business logic and no reads. */
export class BlindWriteContract extends Contract {
  constructor() {
    super('bench');
  }

  async Put(ctx: Context, key: string, value: string): Promise<void> {
    await ctx.stub.putState(key, Buffer.from(value));
  }
}
