import type { Context } from 'fabric-contract-api';
import { checkpointArgs, parseArg, parseJsonArg, seqText } from '../args';
import { ChaincodeError, notFound } from '../errors';
import { emit, keyExists, now, putRecord, readRecord } from '../ledger';
import { checkpointKey } from '../keys';
import { toCanonicalJson } from '../marshal';
import { checkpoint as checkpointSchema, type Checkpoint } from '../model';
import { anyKnownCaller, requireCaller } from '../roles';
import { recordAccess } from '../transitions';

/** RecordCheckpoint: keeps on the ledger where an evidence checkpoint was anchored on the public chain. */
export async function recordCheckpoint(ctx: Context, checkpointJson: string): Promise<string> {
  const args = parseJsonArg(checkpointJson, checkpointArgs, 'checkpoint');
  const caller = requireCaller(ctx, recordAccess.RecordCheckpoint);
  const key = checkpointKey(ctx, args.seq);
  if (await keyExists(ctx, key)) {
    throw new ChaincodeError('ALREADY_EXISTS', `checkpoint ${args.seq.toString()} already exists`);
  }
  const checkpoint: Checkpoint = { docType: 'checkpoint', ...args, recordedBy: caller.id, recordedAt: now(ctx), txId: ctx.stub.getTxID() };
  await putRecord(ctx, key, checkpoint, [caller.mspId]);
  const { seq, root, hash } = checkpoint;
  emit(ctx, 'CheckpointRecorded', { seq, root, hash, receiptIds: [] });
  return toCanonicalJson(checkpoint);
}

/** GetCheckpoint: a recorded checkpoint by sequence number; any known caller may read it. */
export async function getCheckpoint(ctx: Context, seq: string): Promise<string> {
  const number = parseArg(seq, seqText, 'seq');
  requireCaller(ctx, anyKnownCaller);
  const checkpoint = await readRecord(ctx, checkpointKey(ctx, number), checkpointSchema, `checkpoint ${seq}`);
  if (checkpoint === undefined) {
    throw notFound(`checkpoint ${seq}`);
  }
  return toCanonicalJson(checkpoint);
}
