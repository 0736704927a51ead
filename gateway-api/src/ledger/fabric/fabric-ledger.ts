import * as grpc from '@grpc/grpc-js';
import {
  connect,
  EndorseError,
  GatewayError,
  hash,
  signers,
  StatusCode,
  type Contract,
  type Gateway,
  type Network,
} from '@hyperledger/fabric-gateway';
import { common } from '@hyperledger/fabric-protos';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { fileWallet, type Wallet } from '../../identity/wallet.js';
import { LedgerError, parseChaincodeError } from '../errors.js';
import type { Identity, LedgerEvent, LedgerPort, SubmitOptions, SubmitResult } from '../port.js';

/** The connection bundle network/enroll writes (`<network dir>/gateway/connection.json`). */
const bundleSchema = z.object({
  channel: z.string(),
  chaincode: z.string(),
  tlsRootCert: z.string(),
  peers: z.array(z.object({ mspId: z.string(), endpoint: z.string(), hostAlias: z.string() })).min(1),
  wallet: z.string(),
  identities: z.array(z.string()),
});

export type ConnectionBundle = z.infer<typeof bundleSchema>;

export interface FabricLedgerOptions {
  readonly bundle: ConnectionBundle;
  /** The organisation whose peer's Gateway service the ledger talks to. */
  readonly gatewayMspId: string;
  /** Who reads chaincode events (a peer delivers events only to channel members), e.g. the projector. */
  readonly eventReader: Identity;
}

/** Reads a connection bundle and the wallet beside it. */
export async function loadConnectionBundle(path: string): Promise<{ bundle: ConnectionBundle; wallet: Wallet }> {
  const bundle = bundleSchema.parse(JSON.parse(await readFile(path, 'utf8')));
  return { bundle, wallet: fileWallet(resolve(dirname(path), bundle.wallet)) };
}

/**
 * The ledger port on a real Fabric network, through the peers' Gateway service (@hyperledger/fabric-gateway, the
 * maintained successor of fabric-network). Each identity gets its own Gateway connection over one shared gRPC channel.
 */
export class FabricLedger implements LedgerPort {
  private readonly client: grpc.Client;
  private readonly gateways = new Map<string, { gateway: Gateway; network: Network; contract: Contract }>();

  constructor(private readonly options: FabricLedgerOptions) {
    const peer = options.bundle.peers.find((candidate) => candidate.mspId === options.gatewayMspId);
    if (!peer) throw new LedgerError(`the bundle has no peer of ${options.gatewayMspId}`, { code: 'LEDGER_UNAVAILABLE' });
    this.client = new grpc.Client(peer.endpoint, grpc.credentials.createSsl(Buffer.from(options.bundle.tlsRootCert)), {
      'grpc.ssl_target_name_override': peer.hostAlias,
    });
  }

  async submit(identity: Identity, txName: string, args: readonly string[], options: SubmitOptions & { endorsingOrganizations?: readonly string[] } = {}): Promise<SubmitResult> {
    const { contract } = this.connection(identity);
    let txId: string | undefined;
    try {
      const proposal = contract.newProposal(txName, {
        arguments: [...args],
        ...(options.endorsingOrganizations ? { endorsingOrganizations: [...options.endorsingOrganizations] } : {}),
      });
      txId = proposal.getTransactionId();
      const transaction = await proposal.endorse();
      const submitted = await transaction.submit();
      const status = await submitted.getStatus();
      if (!status.successful) {
        const name = Object.entries(StatusCode).find(([, value]) => value === status.code)?.[0] ?? `STATUS_${status.code}`;
        const code = name === 'MVCC_READ_CONFLICT' || name === 'PHANTOM_READ_CONFLICT' || name === 'ENDORSEMENT_POLICY_FAILURE' ? name : 'CHAINCODE_ERROR';
        throw new LedgerError(`transaction ${status.transactionId} was invalidated: ${name}`, { code, txId: status.transactionId });
      }
      return { txId: status.transactionId, blockNumber: status.blockNumber, result: submitted.getResult() };
    } catch (error) {
      throw translate(error, txId);
    }
  }

  async evaluate(identity: Identity, txName: string, args: readonly string[]): Promise<Uint8Array> {
    try {
      return await this.connection(identity).contract.evaluateTransaction(txName, ...args);
    } catch (error) {
      throw translate(error, undefined);
    }
  }

  async *events(fromBlock: bigint, signal?: AbortSignal): AsyncIterable<LedgerEvent> {
    const { network } = this.connection(this.options.eventReader);
    const events = await network.getChaincodeEvents(this.options.bundle.chaincode, { startBlock: fromBlock });
    const stop = (): void => events.close();
    signal?.addEventListener('abort', stop, { once: true });
    let block = -1n;
    let txIndex = 0;
    try {
      for await (const event of events) {
        // The Gateway service does not say where in its block a transaction stands; events arrive in block order.
        txIndex = event.blockNumber === block ? txIndex + 1 : 0;
        block = event.blockNumber;
        yield {
          blockNumber: event.blockNumber,
          txIndex,
          txId: event.transactionId,
          eventName: event.eventName,
          payload: event.payload,
          timestamp: new Date(),
        };
      }
    } catch (error) {
      if (!signal?.aborted) throw translate(error, undefined);
    } finally {
      signal?.removeEventListener('abort', stop);
      events.close();
    }
  }

  /** The channel's height from the peer's query system chaincode (qscc GetChainInfo), read as the event reader. */
  async height(): Promise<number> {
    try {
      const { network } = this.connection(this.options.eventReader);
      const info = await network.getContract('qscc').evaluateTransaction('GetChainInfo', this.options.bundle.channel);
      return common.BlockchainInfo.deserializeBinary(info).getHeight();
    } catch (error) {
      throw translate(error, undefined);
    }
  }

  close(): Promise<void> {
    for (const { gateway } of this.gateways.values()) gateway.close();
    this.gateways.clear();
    this.client.close();
    return Promise.resolve();
  }

  private connection(identity: Identity): { gateway: Gateway; network: Network; contract: Contract } {
    const key = `${identity.mspId}\n${identity.certificate}`;
    const existing = this.gateways.get(key);
    if (existing) return existing;
    const gateway = connect({
      client: this.client,
      identity: { mspId: identity.mspId, credentials: Buffer.from(identity.certificate) },
      signer: signers.newPrivateKeySigner(identity.privateKey),
      hash: hash.sha256,
      evaluateOptions: () => ({ deadline: Date.now() + 5_000 }),
      endorseOptions: () => ({ deadline: Date.now() + 15_000 }),
      submitOptions: () => ({ deadline: Date.now() + 5_000 }),
      commitStatusOptions: () => ({ deadline: Date.now() + 60_000 }),
    });
    const network = gateway.getNetwork(this.options.bundle.channel);
    const created = { gateway, network, contract: network.getContract(this.options.bundle.chaincode) };
    this.gateways.set(key, created);
    return created;
  }
}

/**
 * Fabric's errors in the registry's stable codes. A chaincode refusal reaches the client as an endorsement error
 * whose details carry the peer's message, "chaincode response 500, <the chaincode's message>"; the chaincode's
 * message is its JSON `{code, message}`, read with the same parser as the embedded ledger's.
 */
function translate(error: unknown, txId: string | undefined): LedgerError {
  if (error instanceof LedgerError) return error;
  if (error instanceof EndorseError || error instanceof GatewayError) {
    for (const detail of error.details) {
      const start = detail.message.indexOf('{');
      if (start >= 0) {
        const parsed = parseChaincodeError(detail.message.slice(start), txId);
        if (parsed.code !== 'CHAINCODE_ERROR') return parsed;
      }
    }
    const unavailableCodes: readonly number[] = [grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED];
    const unavailable = unavailableCodes.includes(error.code);
    return new LedgerError(error.message, { code: unavailable ? 'LEDGER_UNAVAILABLE' : 'CHAINCODE_ERROR', txId, cause: error });
  }
  return new LedgerError(error instanceof Error ? error.message : String(error), { code: 'LEDGER_UNAVAILABLE', txId, cause: error });
}
