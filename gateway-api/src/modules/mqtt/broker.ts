import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { IdentityRecord } from '../../db/identity-store.js';
import type { RateLimiter } from '../../http/rate-limit.js';
import { evidenceFilter, isEvidenceTopic, isResultFilter } from './topics.js';

/** Who may connect and publish items: a custodian's device gateway, as for POST /v1/evidence. */
const publisherRole = { org: 'custodian', role: 'device-gateway' } as const;

/** Items remembered with their publisher until the gateway's client reads them (a bound, not a queue). */
const REMEMBERED_PUBLISHES = 50_000;

export interface EmbeddedBrokerOptions {
  /** The port on 127.0.0.1 (never another interface: a broker on a LAN is a real broker's job, MQTT_URL). */
  readonly port: number;
  /** The identity a bearer token stands for (the HTTP API's resolver, so a revoked token stops working here too). */
  readonly resolveToken: (token: string) => Promise<IdentityRecord | undefined>;
  /** Unknown tokens allowed per client address (each costs a database look-up), as for HTTP. */
  readonly authFailures: RateLimiter;
  /** The gateway's own client id: no device may take it (and with it the gateway's session). */
  readonly gatewayClientId: string;
  readonly logger: Logger;
}

/** The in-process broker: devices connect with a device-gateway token; the gateway's client with a secret of its own. */
export interface EmbeddedBroker {
  /** mqtt://127.0.0.1:{port}. */
  readonly url: string;
  /** What the gateway's own client connects with: made at random on every start, never written anywhere. */
  readonly gatewayCredentials: { readonly username: string; readonly password: string };
  /** The identity that published this payload on this topic, while the broker remembers it. */
  publisherOf(topic: string, payload: Uint8Array): string | undefined;
  /**
   * Takes no more items: closes the listener and the devices' connections, so that what the broker still holds for
   * the gateway can be drained before the broker (and its memory) goes.
   */
  stopIntake(): void;
  /** Closes the listener, then the broker (its connections with it). */
  close(): Promise<void>;
}

type Principal = { readonly kind: 'gateway' } | { readonly kind: 'publisher'; readonly identityId: string };

export async function startEmbeddedBroker(options: Readonly<EmbeddedBrokerOptions>): Promise<EmbeddedBroker> {
  const { logger } = options;
  const gatewayCredentials = { username: options.gatewayClientId, password: randomBytes(32).toString('base64url') };
  const secret = Buffer.from(gatewayCredentials.password);
  const principals = new WeakMap<Client, Principal>();
  const devices = new Set<Client>();
  const publishers = new Map<string, string>();
  const keyOf = (topic: string, payload: Uint8Array): string => `${topic}\n${createHash('sha256').update(payload).digest('base64')}`;

  const refuse = (returnCode: AuthenticateError['returnCode'], message: string): AuthenticateError => Object.assign(new Error(message), { returnCode });
  const authenticate = async (client: Client, username: string | undefined, password: Buffer | undefined): Promise<Principal> => {
    if (username === gatewayCredentials.username && password !== undefined && password.length === secret.length && timingSafeEqual(password, secret)) {
      if (client.id !== options.gatewayClientId) throw refuse(4, 'the gateway connects with its own client id');
      return { kind: 'gateway' };
    }
    // Nobody else takes the gateway's client id: the session it names holds the items not yet committed.
    if (client.id === options.gatewayClientId) throw refuse(2, 'this client id is the gateway\'s');
    const token = password?.toString('utf8') ?? '';
    const address = (client.conn as { remoteAddress?: string }).remoteAddress ?? 'unknown';
    const record = /^[A-Za-z0-9_-]{8,200}$/.test(token) ? await options.resolveToken(token) : undefined;
    if (record === undefined) {
      // Each unknown token costs a database look-up; an address that sends too many is refused before more.
      if (!options.authFailures.take(address).allowed) throw refuse(3, 'too many unknown tokens from this address');
      throw refuse(4, 'the password must be a bearer token of a custodian device-gateway identity');
    }
    if (record.org !== publisherRole.org || record.role !== publisherRole.role) throw refuse(5, `a ${record.org} ${record.role} may not publish evidence`);
    return { kind: 'publisher', identityId: record.id };
  };

  const broker = await Aedes.createBroker({
    authenticate(client, username, password, done) {
      authenticate(client, username, password).then(
        (principal) => {
          principals.set(client, principal);
          if (principal.kind === 'publisher') devices.add(client);
          done(null, true);
        },
        (error: unknown) => {
          logger.info({ clientId: client.id, reason: error instanceof Error ? error.message : String(error) }, 'mqtt connection refused');
          done(error instanceof Error && 'returnCode' in error ? (error as AuthenticateError) : refuse(3, 'authentication failed'), false);
        },
      );
    },
    authorizePublish(client, packet, done) {
      const principal = client === null ? undefined : principals.get(client);
      if (principal?.kind === 'gateway') return done(null);
      if (principal?.kind !== 'publisher' || !isEvidenceTopic(packet.topic)) return done(new Error(`publishing on ${packet.topic} is not allowed`));
      if (publishers.size >= REMEMBERED_PUBLISHES) {
        const oldest = publishers.keys().next();
        if (oldest.done !== true) publishers.delete(oldest.value);
      }
      publishers.set(keyOf(packet.topic, typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload), principal.identityId);
      done(null);
    },
    authorizeSubscribe(client, subscription, done) {
      const principal = principals.get(client);
      const allowed = principal?.kind === 'gateway' ? subscription.topic === evidenceFilter || isResultFilter(subscription.topic) : isResultFilter(subscription.topic);
      // A refused filter gets SUBACK 0x80 (null); the connection stays up.
      done(null, allowed ? subscription : null);
    },
  });
  broker.on('clientDisconnect', (client) => devices.delete(client));
  const server = createServer((socket) => broker.handle(socket));
  let listening = true;
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
    gatewayCredentials,
    publisherOf: (topic, payload) => publishers.get(keyOf(topic, payload)),
    stopIntake() {
      if (listening) server.close();
      listening = false;
      for (const client of devices) client.close();
      devices.clear();
    },
    async close() {
      const closed = listening ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
      listening = false;
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await closed;
    },
  };
}
