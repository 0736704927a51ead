import { auditLog } from '../../db/audit-log.js';
import { identityStore } from '../../db/identity-store.js';
import { cachedTokenResolver } from '../../http/auth.js';
import { tokenBucket } from '../../http/rate-limit.js';
import { defineModule } from '../../platform/module.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './broker.js';
import { redact, startMqttSubscriber } from './subscriber.js';

export { mqttLimits, type ResultMessage } from './subscriber.js';
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
  if (brokerUrl === undefined && embeddedPort === undefined) {
    return {
      api: { url: () => undefined, connected: () => false },
      health: () => Promise.resolve({ mqtt: { status: 'not-configured' as const } }),
    };
  }
  const readings = ctx.use('readings');
  const devices = ctx.use('devices');
  let broker: EmbeddedBroker | undefined;
  if (brokerUrl === undefined && embeddedPort !== undefined) {
    const tokens = cachedTokenResolver(identityStore(ctx.db));
    broker = await startEmbeddedBroker({
      port: embeddedPort,
      resolveToken: async (token) => tokens.cached(token) ?? (await tokens.resolve(token)),
      authFailures: tokenBucket(ctx.config.authFailureLimit),
      gatewayClientId: clientId,
      logger: ctx.logger,
    });
  }
  const url = broker?.url ?? brokerUrl ?? '';
  const subscriber = startMqttSubscriber({
    url,
    client: broker
      ? // aedes speaks MQTT 3.1.1.
        { clientId, protocolVersion: 4, ...broker.gatewayCredentials }
      : // MQTT 5 for the response topics; the session outlives a disconnect only with an expiry interval.
        { clientId, protocolVersion: 5, properties: { sessionExpiryInterval: 0xffffffff, receiveMaximum: 1000 } },
    readings,
    devices,
    audit: auditLog(ctx.db),
    publisherOf: (topic, payload) => broker?.publisherOf(topic, payload),
    serviceId: mqttServiceId,
    logger: ctx.logger,
    drainOnClose: broker !== undefined,
  });
  const shown = redact(url);
  if (!(await subscriber.ready(READY_TIMEOUT_MS))) ctx.logger.warn({ broker: shown }, 'mqtt intake: not subscribed yet; retrying in the background');
  return {
    api: { url: () => shown, connected: () => subscriber.connected() },
    health: () => {
      const connected = subscriber.connected();
      return Promise.resolve({ mqtt: { status: connected ? ('up' as const) : ('degraded' as const), broker: broker ? 'embedded' : 'external', url: shown, connected } });
    },
    async stop() {
      broker?.stopIntake();
      await subscriber.close();
      await broker?.close();
    },
  };
});
