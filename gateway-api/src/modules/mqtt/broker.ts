import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { IdentityRecord } from '../../db/identity-store.js';
import type { RateLimiter } from '../../http/rate-limit.js';
import { startBatcher, type BatcherOptions, type Incoming } from './batcher.js';
import { isEvidenceTopic, isResultFilter } from './topics.js';

/** How long a connection's writes are held for a batch's results at most (see hold). */
const HOLD_MAX_MS = 20;

/** Who may connect and publish items: a custodian's device gateway, as for POST /v1/evidence. */
const publisherRole = { org: 'custodian', role: 'device-gateway' } as const;

export interface EmbeddedBrokerOptions {
  /** The port on 127.0.0.1 (never another interface: a broker on a LAN is a real broker's job, MQTT_URL). */
  readonly port: number;
  /** The identity a bearer token stands for (the HTTP API's resolver, so a revoked token stops working here too). */
  readonly resolveToken: (token: string) => Promise<IdentityRecord | undefined>;
  /** Unknown tokens allowed per client address (each costs a database look-up), as for HTTP. */
  readonly authFailures: RateLimiter;
  /** Where the items go: the readings intake, with what it needs (batcher.ts). */
  readonly intake: Pick<BatcherOptions<Incoming>, 'readings' | 'devices' | 'audit' | 'serviceId'>;
  readonly logger: Logger;
}

/**
 * The in-process broker: devices connect with a device-gateway token, and the items they publish go straight from
 * the broker to the intake (no client of the gateway's own in between): a PUBLISH is acknowledged only once its item
 * has committed.
 */
export interface EmbeddedBroker {
  /** mqtt://127.0.0.1:{port}. */
  readonly url: string;
  /**
   * Takes no more items and no more connections; commits and acknowledges the items it has, then closes the devices'
   * connections and the broker. What a device sent and did not see acknowledged, it sends again to the next start.
   */
  close(): Promise<void>;
}

/** An item as the broker received it, with the connection it came on. */
interface Published extends Incoming {
  readonly client: Client;
}

export async function startEmbeddedBroker(options: Readonly<EmbeddedBrokerOptions>): Promise<EmbeddedBroker> {
  const { logger } = options;
  /** The identity each connection signed in as. */
  const principals = new WeakMap<Client, string>();

  const refuse = (returnCode: AuthenticateError['returnCode'], message: string): AuthenticateError => Object.assign(new Error(message), { returnCode });
  /** The identity a CONNECT signs in as. */
  const authenticate = async (client: Client, password: Buffer | undefined): Promise<string> => {
    const token = password?.toString('utf8') ?? '';
    const address = (client.conn as { remoteAddress?: string }).remoteAddress ?? 'unknown';
    const record = /^[A-Za-z0-9_-]{8,200}$/.test(token) ? await options.resolveToken(token) : undefined;
    if (record === undefined) {
      // Each unknown token costs a database look-up; an address that sends too many is refused before more.
      if (!options.authFailures.take(address).allowed) throw refuse(3, 'too many unknown tokens from this address');
      throw refuse(4, 'the password must be a bearer token of a custodian device-gateway identity');
    }
    if (record.org !== publisherRole.org || record.role !== publisherRole.role) throw refuse(5, `a ${record.org} ${record.role} may not publish evidence`);
    return record.id;
  };

  const broker = await Aedes.createBroker({
    authenticate(client, _username, password, done) {
      authenticate(client, password).then(
        (identityId) => {
          principals.set(client, identityId);
          done(null, true);
        },
        (error: unknown) => {
          logger.info({ clientId: client.id, reason: error instanceof Error ? error.message : String(error) }, 'mqtt connection refused');
          done(error instanceof Error && 'returnCode' in error ? (error as AuthenticateError) : refuse(3, 'authentication failed'), false);
        },
      );
    },
    // Where the items enter the intake: aedes sends a QoS 1 PUBLISH's PUBACK once this calls back, and aedes takes
    // no more packets from the connection until it has (the device's own flow control, bounded by what it sends).
    authorizePublish(client, packet, done) {
      const identityId = client === null ? undefined : principals.get(client);
      if (client === null || identityId === undefined || !isEvidenceTopic(packet.topic)) return done(new Error(`publishing on ${packet.topic} is not allowed`));
      // A will is published when a connection ends without a word: not something a device signed off on sending.
      if (packet === (client as { will?: unknown }).will) return done(new Error('a will is not evidence'));
      // Once closing, the batcher takes no more: never acknowledged, the item comes again to the next start.
      batcher.push({
        topic: packet.topic,
        payload: typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload,
        responseTopic: packet.properties?.responseTopic,
        correlationData: packet.properties?.correlationData,
        publishedBy: identityId,
        client,
        acknowledge: () => {
          if (client.closed) return;
          // With the results before it, which were written already (PUBACKs are written at once).
          const release = hold(client);
          done(null);
          setImmediate(release);
        },
      });
    },
    authorizeSubscribe(_client, subscription, done) {
      // A refused filter gets SUBACK 0x80 (null); the connection stays up.
      done(null, isResultFilter(subscription.topic) ? subscription : null);
    },
  });
  const batcher = startBatcher<Published>({
    ...options.intake,
    logger,
    publish(message, topic, payload, correlationData) {
      const release = hold(message.client);
      const packet = { cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: false, dup: false, ...(correlationData === undefined ? {} : { properties: { correlationData } }) } as const;
      // Settles once aedes has written it to its subscribers (it calls back after their writes).
      return new Promise<void>((resolve) => {
        broker.publish(packet, (error) => {
          release();
          if (error) logger.warn({ err: error, topic }, 'mqtt intake: a result was not published');
          resolve();
        });
      });
    },
    // Their PUBACKs were never sent: once the connection is gone, the devices send them again when they reconnect.
    failed: (items) => {
      for (const client of new Set(items.map((item) => item.client))) client.close();
    },
  });

  /**
   * Holds a connection's writes while results to it are under way, so that a batch's results and PUBACKs leave in a
   * few writes rather than one or more each (aedes writes each delivery in a setImmediate of its own). Released when
   * the last one has been written, or after {@link HOLD_MAX_MS} at most: a write that waits for the socket to drain
   * would otherwise wait for the release.
   */
  const held = new Map<Client, { pending: number; readonly timer: NodeJS.Timeout }>();
  function hold(client: Client): () => void {
    const socket = client.conn as Partial<Socket>;
    if (socket.cork === undefined || socket.uncork === undefined) return () => undefined;
    const unhold = (): void => {
      clearTimeout(held.get(client)?.timer);
      held.delete(client);
      socket.uncork?.();
    };
    const entry = held.get(client);
    if (entry !== undefined) entry.pending++;
    else {
      socket.cork();
      held.set(client, { pending: 1, timer: setTimeout(unhold, HOLD_MAX_MS) });
    }
    const mine = held.get(client);
    let released = false;
    return () => {
      // Only the hold this call took: after a timeout, a later one may hold the connection again.
      if (released || held.get(client) !== mine || mine === undefined) return;
      released = true;
      if (--mine.pending === 0) unhold();
    };
  }

  const server = createServer((socket) => broker.handle(socket));
  server.listen(options.port, '127.0.0.1');
  try {
    await once(server, 'listening');
  } catch (error) {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port.toString()}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await batcher.close();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await closed;
    },
  };
}
