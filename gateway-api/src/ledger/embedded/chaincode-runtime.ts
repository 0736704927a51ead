import { peer } from '@hyperledger/fabric-protos';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { LedgerError } from '../errors.js';
import { SimulationRequestError, type TxSimulator } from './simulator.js';

/** The level the operator chose for chaincode logs (the peer's own variable), read before anything sets it. */
const chaincodeLogLevel = process.env.CORE_CHAINCODE_LOGGING_LEVEL ?? 'CRITICAL';

const MessageType = peer.ChaincodeMessage.Type;
type MessageTypeValue = (typeof MessageType)[keyof typeof MessageType];
/** A peer gives up on a chaincode that does not complete in time (core.yaml `chaincode.executetimeout`). */
const EXECUTE_TIMEOUT_MS = 30_000;

export interface ChaincodeResponse {
  readonly status: number;
  readonly message: string;
  readonly payload: Uint8Array;
}

export interface ExecutionResult {
  readonly response: ChaincodeResponse;
  readonly event: { readonly name: string; readonly payload: Uint8Array } | null;
}

/** What fabric-shim calls on a chaincode. */
interface Chaincode {
  Init(stub: unknown): Promise<unknown>;
  Invoke(stub: unknown): Promise<unknown>;
}

interface ShimHandler {
  chat(start: peer.ChaincodeMessage): void;
}

type HandlerConstructor = new (stream: ChaincodeStream, chaincode: Chaincode) => ShimHandler;
type ChaincodeFromContractConstructor = new (
  contracts: readonly unknown[],
  serializers: unknown,
  metadata: object,
  title: string,
  version: string,
) => Chaincode;

interface Execution {
  readonly simulator: TxSimulator;
  readonly resolve: (result: ExecutionResult) => void;
  readonly reject: (error: Error) => void;
}

/**
 * The chaincode's end of the peer connection. fabric-shim's ChaincodeMessageHandler reads and writes
 * ChaincodeMessage protobufs on it exactly as on the gRPC stream of a chaincode-as-a-service server; every message
 * crosses as serialized bytes, so both sides speak the real wire format.
 */
class ChaincodeStream extends EventEmitter {
  constructor(private readonly toPeer: (bytes: Uint8Array) => void) {
    super();
  }

  write(message: peer.ChaincodeMessage): boolean {
    const bytes = message.serializeBinary();
    queueMicrotask(() => this.toPeer(bytes));
    return true;
  }

  end(): void {
    this.removeAllListeners('data');
  }
}

/**
 * Runs a Fabric contract package in-process and drives it as a peer does: REGISTER/REGISTERED/READY, then one
 * TRANSACTION message per proposal, answering the chaincode's GET_STATE, PUT_STATE, range and history requests from
 * the transaction's simulator until it sends COMPLETED.
 */
export class ChaincodeRuntime {
  private readonly executions = new Map<string, Execution>();
  private readonly stream: ChaincodeStream;
  private readonly ready: Promise<void>;
  private markReady: () => void = () => undefined;

  private constructor(chaincode: Chaincode, name: string, Handler: HandlerConstructor) {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    this.stream = new ChaincodeStream((bytes) => this.fromChaincode(bytes));
    const id = new peer.ChaincodeID();
    id.setName(name);
    const register = new peer.ChaincodeMessage();
    register.setType(MessageType.REGISTER);
    register.setPayload(id.serializeBinary());
    // As fabric-shim's chaincode server does when a peer connects: the chaincode opens with REGISTER.
    new Handler(this.stream, chaincode).chat(register);
  }

  /** Loads the contracts with fabric-shim's own contract routing (ChaincodeFromContract) and registers them. */
  static async start(contracts: readonly unknown[], name: string, version: string): Promise<ChaincodeRuntime> {
    const require = createRequire(import.meta.url);
    quietChaincodeLogs(require);
    const Handler = functionFrom<HandlerConstructor>(require('fabric-shim/lib/handler.js'), 'ChaincodeMessageHandler');
    const ChaincodeFromContract = functionFrom<ChaincodeFromContractConstructor>(
      { ChaincodeFromContract: require('fabric-shim/lib/contract-spi/chaincodefromcontract.js') as unknown },
      'ChaincodeFromContract',
    );
    const { JSONSerializer } = require('fabric-contract-api') as { JSONSerializer: unknown };
    const serializers = { transaction: 'jsonSerializer', serializers: { jsonSerializer: JSONSerializer } };
    const chaincode = new ChaincodeFromContract(contracts, serializers, {}, name, version);
    const runtime = new ChaincodeRuntime(chaincode, name, Handler);
    await runtime.ready;
    return runtime;
  }

  /** Runs one proposal against `simulator`; resolves with the chaincode's response and event. */
  execute(
    channelId: string,
    txId: string,
    input: peer.ChaincodeInput,
    signedProposal: peer.SignedProposal,
    simulator: TxSimulator,
  ): Promise<ExecutionResult> {
    const context = channelId + txId;
    if (this.executions.has(context)) {
      return Promise.reject(new LedgerError(`transaction ${txId} is already executing`, { code: 'DUPLICATE_TRANSACTION', txId }));
    }
    return new Promise<ExecutionResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.executions.delete(context);
        reject(new LedgerError(`chaincode did not complete within ${EXECUTE_TIMEOUT_MS} ms`, { code: 'CHAINCODE_ERROR', txId }));
      }, EXECUTE_TIMEOUT_MS);
      const finish = (): void => {
        clearTimeout(timer);
        this.executions.delete(context);
      };
      this.executions.set(context, {
        simulator,
        resolve: (result) => (finish(), resolve(result)),
        reject: (error) => (finish(), reject(error)),
      });
      const message = new peer.ChaincodeMessage();
      message.setType(MessageType.TRANSACTION);
      message.setPayload(input.serializeBinary());
      message.setTxid(txId);
      message.setChannelId(channelId);
      message.setProposal(signedProposal);
      this.toChaincode(message);
    });
  }

  close(): void {
    this.stream.end();
  }

  private fromChaincode(bytes: Uint8Array): void {
    const message = peer.ChaincodeMessage.deserializeBinary(bytes);
    const type = message.getType();
    if (type === MessageType.REGISTER) {
      this.reply(message, MessageType.REGISTERED, new Uint8Array());
      this.reply(message, MessageType.READY, new Uint8Array());
      this.markReady();
      return;
    }
    const execution = this.executions.get(message.getChannelId() + message.getTxid());
    if (!execution) {
      this.reply(message, MessageType.ERROR, Buffer.from(`no transaction ${message.getTxid()} is executing`));
      return;
    }
    if (type === MessageType.COMPLETED) {
      const response = peer.Response.deserializeBinary(message.getPayload_asU8());
      const event = message.getChaincodeEvent();
      execution.resolve({
        response: { status: response.getStatus(), message: response.getMessage(), payload: response.getPayload_asU8() },
        event: event && event.getEventName() !== '' ? { name: event.getEventName(), payload: event.getPayload_asU8() } : null,
      });
      return;
    }
    if (type === MessageType.ERROR) {
      const text = Buffer.from(message.getPayload_asU8()).toString('utf8');
      execution.reject(new LedgerError(text, { code: 'CHAINCODE_ERROR', txId: message.getTxid() }));
      return;
    }
    try {
      this.reply(message, MessageType.RESPONSE, execution.simulator.handle(type, message.getPayload_asU8()));
    } catch (error) {
      if (!(error instanceof SimulationRequestError)) throw error;
      this.reply(message, MessageType.ERROR, Buffer.from(error.message));
    }
  }

  private reply(request: peer.ChaincodeMessage, type: MessageTypeValue, payload: Uint8Array): void {
    const message = new peer.ChaincodeMessage();
    message.setType(type);
    message.setPayload(payload);
    message.setTxid(request.getTxid());
    message.setChannelId(request.getChannelId());
    this.toChaincode(message);
  }

  private toChaincode(message: peer.ChaincodeMessage): void {
    const bytes = message.serializeBinary();
    queueMicrotask(() => this.stream.emit('data', peer.ChaincodeMessage.deserializeBinary(bytes)));
  }
}

/**
 * fabric-shim and fabric-contract-api log every transaction at info and every refusal at error, which a peer's
 * chaincode container may want but an in-process ledger does not. Unless the operator chose a level with
 * CORE_CHAINCODE_LOGGING_LEVEL, only critical messages are kept.
 */
function quietChaincodeLogs(require: NodeJS.Require): void {
  if (chaincodeLogLevel === 'CRITICAL') silenceNewWinstonLoggers(require);
  for (const path of ['fabric-shim/lib/logger.js', 'fabric-contract-api/lib/logger.js']) {
    const setLevel = functionFrom<(level: string) => void>(require(path), 'setLevel');
    setLevel(chaincodeLogLevel);
  }
  // setLevel leaves winston's name ("fatal") in the variable, which loggers created later do not understand.
  process.env.CORE_CHAINCODE_LOGGING_LEVEL = chaincodeLogLevel;
}

/**
 * fabric-shim logs several debug lines per chaincode message, and winston formats each one (timestamps, util.inspect)
 * before its transport drops it for its level: a sixth of an evaluation's CPU. Only a logger's `silent` flag skips
 * the formatting. At the default level nothing is printed anyway, so loggers created from here on are made silent;
 * fabric-shim and fabric-contract-api are winston's only users in the gateway (which logs with pino).
 */
function silenceNewWinstonLoggers(require: NodeJS.Require): void {
  // The winston fabric-shim itself resolves (a dependency of fabric-shim, not of the gateway).
  const winston = createRequire(require.resolve('fabric-shim'))('winston') as { createLogger: (...args: unknown[]) => { silent: boolean }; silencedForChaincode?: true };
  if (winston.silencedForChaincode) return;
  const createLogger = winston.createLogger;
  // A function, not an arrow: fabric's loggers are made with `new winston.createLogger(...)`.
  winston.createLogger = function silentLogger(...args: unknown[]) {
    const logger = createLogger(...args);
    logger.silent = true;
    return logger;
  };
  winston.silencedForChaincode = true;
}

/**
 * Loads this registry's chaincode package (`@wr/chaincode`). Its decorators log at load time, so the log level is
 * set first: import it through here rather than directly.
 */
export async function loadReceiptContracts(): Promise<readonly unknown[]> {
  quietChaincodeLogs(createRequire(import.meta.url));
  const chaincode = await import('@wr/chaincode');
  return chaincode.contracts;
}

/** Checks that a CommonJS module of fabric-shim exports the function or class we use, instead of trusting its shape. */
function functionFrom<T>(module: unknown, name: string): T {
  if (typeof module === 'object' && module !== null && name in module) {
    const value: unknown = (module as Record<string, unknown>)[name];
    if (typeof value === 'function') return value as T;
  }
  throw new Error(`fabric-shim does not export ${name}: unsupported fabric-shim version`);
}
