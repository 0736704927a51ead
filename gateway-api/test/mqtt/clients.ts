import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { z } from 'zod';

/** A result message as the gateway publishes it on .../result. */
export const resultMessage = z.discriminatedUnion('status', [
  z.strictObject({
    seq: z.number().int().optional(),
    status: z.literal('accepted'),
    id: z.string().regex(/^ev_/),
    leafHash: z.string().regex(/^0x[0-9a-f]{64}$/),
    leafIndex: z.number().int().nonnegative(),
    seqGap: z.strictObject({ fromSeq: z.number().int(), toSeq: z.number().int() }).optional(),
  }),
  z.strictObject({ seq: z.number().int().optional(), status: z.literal('rejected'), code: z.string(), message: z.string().min(1) }),
]);
export type ResultMessage = z.infer<typeof resultMessage>;

/** A device (or edge gateway) connected to a broker, collecting the results it is sent. */
export interface TestPublisher {
  readonly client: MqttClient;
  readonly results: ResultMessage[];
  /** Publishes a payload at QoS 1 and resolves when the broker acknowledged it. */
  publish(topic: string, payload: string | Buffer): Promise<void>;
  /** Waits until `count` results have arrived in all (in the order received). */
  resultsUpTo(count: number, timeoutMs?: number): Promise<ResultMessage[]>;
  close(): Promise<void>;
}

/** Connects with `options` (password: a device-gateway token on the embedded broker) and subscribes to `resultFilter`. */
export async function connectPublisher(url: string, options: IClientOptions, resultFilter = 'wr/+/+/result'): Promise<TestPublisher> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 200, connectTimeout: 5_000, ...options });
  const results: ResultMessage[] = [];
  const waiters = new Set<() => void>();
  client.on('message', (_topic, payload) => {
    results.push(resultMessage.parse(JSON.parse(payload.toString('utf8'))));
    for (const wake of waiters) wake();
  });
  const granted = await client.subscribeAsync(resultFilter, { qos: 1 });
  if (granted[0]?.qos !== 1) throw new Error(`the subscription to ${resultFilter} was refused`);
  return {
    client,
    results,
    publish: async (topic, payload) => {
      await client.publishAsync(topic, payload, { qos: 1 });
    },
    resultsUpTo: async (count, timeoutMs = 10_000) => {
      const until = Date.now() + timeoutMs;
      while (results.length < count) {
        if (Date.now() > until) throw new Error(`${results.length.toString()} results of ${count.toString()} arrived within ${timeoutMs.toString()} ms`);
        await new Promise<void>((resolve) => {
          const wake = (): void => {
            waiters.delete(wake);
            resolve();
          };
          waiters.add(wake);
          setTimeout(wake, 100);
        });
      }
      return results.slice(0, count);
    },
    close: async () => {
      await client.endAsync(true);
    },
  };
}

/** What a CONNECT with `options` gets: connected, or the broker's refusal. */
export async function tryConnect(url: string, options: IClientOptions): Promise<'connected' | { refused: string }> {
  try {
    const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5_000, ...options });
    await client.endAsync(true);
    return 'connected';
  } catch (error) {
    return { refused: error instanceof Error ? error.message : String(error) };
  }
}
