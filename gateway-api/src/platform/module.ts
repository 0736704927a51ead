import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { ServedOperation } from '../http/operation.js';
import type { Wallet } from '../identity/wallet.js';
import type { Identity, LedgerPort } from '../ledger/port.js';
import type { ReceiptRegistry } from '../registry/receipt-registry.js';
import type { Clock } from './clock.js';

/** A component's health as /healthz reports it. */
export interface HealthCheck {
  /** `degraded`: working, but a part retries (e.g. anchoring while the chain is unreachable); /healthz stays 200. */
  readonly status: 'up' | 'degraded' | 'down' | 'not-configured';
  readonly [detail: string]: unknown;
}

/**
 * What each module offers the modules started after it, by module name. Each module adds its own entry by
 * declaration merging (`declare module '…/platform/module.js' { interface ModuleApis { leaves: Leaves } }`), so that
 * `ctx.use('leaves')` is typed and the dependency is visible at the call.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by declaration merging
export interface ModuleApis {}

/** A service identity the gateway itself signs with (the projection's reader, the anchoring worker). */
export interface ServiceIdentitySpec {
  readonly id: string;
  readonly org: 'custodian' | 'lender' | 'borrower';
  readonly user: string;
  readonly role: string;
}

/** What every module is started with: the shared infrastructure, and the modules started before it. */
export interface ModuleContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly db: Database;
  readonly ledger: LedgerPort;
  readonly registry: ReceiptRegistry;
  readonly wallet: Wallet;
  /** The block of the last transaction this gateway committed (read-your-writes for the projection). */
  lastCommittedBlock(): bigint | undefined;
  /** The signing identity of a gateway service, created in the wallet first where the backend issues identities. */
  serviceIdentity(spec: ServiceIdentitySpec): Promise<Identity>;
  /** The API of a module started earlier; starting a module before one it uses is a wiring bug, and says so. */
  use<K extends keyof ModuleApis>(name: K): ModuleApis[K];
}

/** What /healthz has already read of the shared infrastructure, handed to each module's check. */
export interface InfrastructureHealth {
  /** The ledger's height; undefined when the ledger did not answer. */
  readonly ledgerHeight: number | undefined;
  readonly databaseUp: boolean;
}

/** A started module: its operations, its health checks, its API for later modules, and how to stop it. */
export interface StartedModule<K extends string> {
  readonly operations?: readonly ServedOperation[];
  readonly health?: (infrastructure: InfrastructureHealth) => Promise<Record<string, HealthCheck>>;
  readonly api?: K extends keyof ModuleApis ? ModuleApis[K] : never;
  stop?(): Promise<void>;
}

/** A capability of the gateway (receipts, devices, readings, …) with one entry point. */
export interface GatewayModule<K extends string = string> {
  readonly name: K;
  /** The migrations (`NNN_name.sql`, by name) that create and change its tables: each has one owner. */
  readonly migrations: readonly string[];
  start(ctx: ModuleContext): StartedModule<K> | Promise<StartedModule<K>>;
}

/** Names the module type, so that its `api` is checked against what it declared in {@link ModuleApis}. */
export function defineModule<K extends string>(
  name: K,
  owns: { readonly migrations: readonly string[] },
  start: (ctx: ModuleContext) => StartedModule<K> | Promise<StartedModule<K>>,
): GatewayModule<K> {
  return { name, migrations: owns.migrations, start };
}

/** Modules started in order, stopped in reverse. */
export interface StartedModules {
  readonly operations: readonly ServedOperation[];
  /** The API of a started module; undefined when it is not started. */
  api<K extends keyof ModuleApis>(name: K): ModuleApis[K] | undefined;
  health(infrastructure: InfrastructureHealth): Promise<Record<string, HealthCheck>>;
  stop(): Promise<void>;
}

/**
 * Starts `modules` in order, each seeing the APIs of those before it; if one fails to start, those already started
 * are stopped (in reverse) before the error is rethrown.
 */
export async function startModules(modules: readonly GatewayModule[], base: Omit<ModuleContext, 'use'>): Promise<StartedModules> {
  const apis = new Map<string, unknown>();
  const started: { readonly name: string; readonly module: StartedModule<string> }[] = [];
  const context: ModuleContext = {
    ...base,
    use<K extends keyof ModuleApis>(name: K): ModuleApis[K] {
      if (!apis.has(name)) {
        throw new Error(`module ${String(name)} is used before it is started: list it earlier (started: ${[...apis.keys()].join(', ') || 'none'})`);
      }
      return apis.get(name) as ModuleApis[K];
    },
  };
  const stop = async (): Promise<void> => {
    for (const { name, module } of started.splice(0).reverse()) {
      try {
        await module.stop?.();
      } catch (error) {
        base.logger.error({ err: error, module: name }, 'module failed to stop');
      }
    }
  };
  try {
    for (const module of modules) {
      if (started.some((entry) => entry.name === module.name)) throw new Error(`module ${module.name} is listed twice`);
      const running = await module.start(context);
      started.push({ name: module.name, module: running });
      if (running.api !== undefined) apis.set(module.name, running.api);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    operations: started.flatMap(({ module }) => module.operations ?? []),
    api: <K extends keyof ModuleApis>(name: K) => apis.get(name) as ModuleApis[K] | undefined,
    async health(infrastructure) {
      const checks = await Promise.all(started.map(({ module }) => module.health?.(infrastructure) ?? Promise.resolve({})));
      return Object.assign({}, ...checks) as Record<string, HealthCheck>;
    },
    stop,
  };
}
