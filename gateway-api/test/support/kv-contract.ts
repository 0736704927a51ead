import { Contract, type Context } from 'fabric-contract-api';
import { KeyEndorsementPolicy } from 'fabric-shim';

/** A minimal key-value contract that exercises the ledger's Fabric semantics, independent of the business chaincode. */
export class KvContract extends Contract {
  constructor() {
    super('kv');
  }

  async Put(ctx: Context, key: string, value: string): Promise<void> {
    await ctx.stub.putState(key, Buffer.from(value));
    ctx.stub.setEvent('Put', Buffer.from(JSON.stringify({ key, value })));
  }

  async Get(ctx: Context, key: string): Promise<string> {
    return Buffer.from(await ctx.stub.getState(key)).toString('utf8');
  }

  async Delete(ctx: Context, key: string): Promise<void> {
    await ctx.stub.deleteState(key);
  }

  /** Writes then reads the same key: Fabric has no read-your-writes, so this returns the committed value. */
  async PutThenGet(ctx: Context, key: string, value: string): Promise<string> {
    await ctx.stub.putState(key, Buffer.from(value));
    return Buffer.from(await ctx.stub.getState(key)).toString('utf8');
  }

  /** Read-modify-write of a counter; slow enough that concurrent calls overlap. */
  async Increment(ctx: Context, key: string): Promise<string> {
    const current = Number(Buffer.from(await ctx.stub.getState(key)).toString('utf8') || '0');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await ctx.stub.putState(key, Buffer.from(String(current + 1)));
    return String(current + 1);
  }

  /** Counts keys in [start, end) and records the count: an update transaction with a range read. */
  async CountRange(ctx: Context, start: string, end: string, target: string): Promise<number> {
    let count = 0;
    for await (const entry of ctx.stub.getStateByRange(start, end)) if (entry.key !== '') count++;
    await new Promise((resolve) => setTimeout(resolve, 5));
    await ctx.stub.putState(target, Buffer.from(String(count)));
    return count;
  }

  async Keys(ctx: Context, start: string, end: string): Promise<string> {
    const keys: string[] = [];
    for await (const entry of ctx.stub.getStateByRange(start, end)) keys.push(entry.key);
    return JSON.stringify(keys);
  }

  async History(ctx: Context, key: string): Promise<string> {
    const entries: { txId: string; value: string; isDelete: boolean }[] = [];
    for await (const entry of ctx.stub.getHistoryForKey(key)) {
      entries.push({ txId: entry.txId, value: Buffer.from(entry.value).toString('utf8'), isDelete: entry.isDelete });
    }
    return JSON.stringify(entries);
  }

  async Protect(ctx: Context, key: string, orgsJson: string): Promise<void> {
    const orgs: unknown = JSON.parse(orgsJson);
    if (!Array.isArray(orgs) || !orgs.every((org): org is string => typeof org === 'string')) throw new Error('orgs must be strings');
    const policy = new KeyEndorsementPolicy();
    policy.addOrgs('MEMBER', ...orgs);
    await ctx.stub.putState(key, Buffer.from('protected'));
    await ctx.stub.setStateValidationParameter(key, policy.getPolicy());
  }

  async WhoAmI(ctx: Context): Promise<string> {
    await Promise.resolve();
    return JSON.stringify({ mspId: ctx.clientIdentity.getMSPID(), role: ctx.clientIdentity.getAttributeValue('role'), id: ctx.clientIdentity.getID() });
  }

  async Now(ctx: Context): Promise<string> {
    await Promise.resolve();
    return ctx.stub.getDateTimestamp().toISOString();
  }

  async Fail(_ctx: Context, code: string): Promise<void> {
    await Promise.resolve();
    throw new Error(JSON.stringify({ code, message: `refused with ${code}` }));
  }
}
