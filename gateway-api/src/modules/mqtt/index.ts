import { auditLog } from '../../db/audit-log.js';
import { identityStore } from '../../db/identity-store.js';
import { cachedTokenResolver } from '../../http/auth.js';
import { tokenBucket } from '../../http/rate-limit.js';
import { defineModule } from '../../platform/module.js';
import { startEmbeddedBroker } from './broker.js';
import { redact, startMqttSubscriber } from './subscriber.js';

export { mqttLimits, type ResultMessage } from './batcher.js';
export { evidenceFilter, parseEvidenceTopic, resultTopic } from './topics.js';

/** What the MQTT intake tells the rest of the gateway. */
export interface MqttIntake {
  /** The broker the gateway subscribes to, without credentials (the embedded one: mqtt://127.0.0.1:{port}); undefined when MQTT is off. */
  url(): string | undefined;
  connected(): boolean;
}

declare module '../../platform/module.js' {
  interface ModuleApis {
    mqtt: MqttIntake;
  }
}

/** Who MQTT writes are submitted by when the broker does not say who published (a real broker never does). */
export const mqttServiceId = 'service.mqtt';

/** How long the start waits for the gateway's subscription before it goes on (a real broker may be down: degraded). */
const READY_TIMEOUT_MS = 5_000;

/**
 * Signed items over MQTT (docs/mqtt.md): `wr/{warehouseId}/{deviceId}/evidence` at QoS 1 into the readings intake,
 * results on `.../result`. The embedded broker (MQTT_PORT on 127.0.0.1) unless MQTT_URL names a real one.
 */
export const mqttModule = defineModule('mqtt', { migrations: [] }, async (ctx) => {
  const { url: brokerUrl, embeddedPort, clientId } = ctx.config.mqtt;
  const intake = { readings: ctx.use('readings'), devices: ctx.use('devices'), audit: auditLog(ctx.db), serviceId: mqttServiceId };
  if (brokerUrl === undefined) {
    if (embeddedPort === undefined) {
      return {
        api: { url: () => undefined, connected: () => false },
        health: () => Promise.resolve({ mqtt: { status: 'not-configured' as const } }),
      };
    }
    const tokens = cachedTokenResolver(identityStore(ctx.db));
    const broker = await startEmbeddedBroker({
      port: embeddedPort,
      resolveToken: async (token) => tokens.cached(token) ?? (await tokens.resolve(token)),
      authFailures: tokenBucket(ctx.config.authFailureLimit),
      intake,
      logger: ctx.logger,
    });
    return {
      // The items go from the broker to the intake in this process: subscribed whenever the broker runs.
      api: { url: () => broker.url, connected: () => true },
      health: () => Promise.resolve({ mqtt: { status: 'up' as const, broker: 'embedded', url: broker.url, connected: true } }),
      stop: () => broker.close(),
    };
  }
  const subscriber = startMqttSubscriber({
    url: brokerUrl,
    // MQTT 5 for the response topics; the session outlives a disconnect only with an expiry interval.
    client: { clientId, protocolVersion: 5, properties: { sessionExpiryInterval: 0xffffffff, receiveMaximum: 1000 } },
    ...intake,
    logger: ctx.logger,
  });
  const shown = redact(brokerUrl);
  if (!(await subscriber.ready(READY_TIMEOUT_MS))) ctx.logger.warn({ broker: shown }, 'mqtt intake: not subscribed yet; retrying in the background');
  return {
    api: { url: () => shown, connected: () => subscriber.connected() },
    health: () => {
      const connected = subscriber.connected();
      return Promise.resolve({ mqtt: { status: connected ? ('up' as const) : ('degraded' as const), broker: 'external', url: shown, connected } });
    },
    stop: () => subscriber.close(),
  };
});
