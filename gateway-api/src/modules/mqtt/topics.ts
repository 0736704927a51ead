/**
 * The MQTT topics of the intake: devices publish signed items on `wr/{warehouseId}/{deviceId}/evidence` and read
 * what became of each on `wr/{warehouseId}/{deviceId}/result`.
 */

/** The filter the gateway subscribes to. */
export const evidenceFilter = 'wr/+/+/evidence';

/** The warehouse and device a topic names. */
export interface TopicAddress {
  readonly warehouseId: string;
  readonly deviceId: string;
}

/** The address of an evidence topic, or undefined when `topic` is not one. */
export function parseEvidenceTopic(topic: string): TopicAddress | undefined {
  const levels = topic.split('/');
  if (levels.length !== 4 || levels[0] !== 'wr' || levels[3] !== 'evidence') return undefined;
  const [, warehouseId = '', deviceId = ''] = levels;
  if (!concreteLevel(warehouseId) || !concreteLevel(deviceId)) return undefined;
  return { warehouseId, deviceId };
}

/** Where the results of the items published on an evidence topic go. */
export const resultTopic = (address: TopicAddress): string => `wr/${address.warehouseId}/${address.deviceId}/result`;

/** Whether a subscription filter reads result topics only: `wr/{w}/{d}/result`, each of w and d a name or `+`. */
export function isResultFilter(filter: string): boolean {
  const levels = filter.split('/');
  if (levels.length !== 4 || levels[0] !== 'wr' || levels[3] !== 'result') return false;
  return levels.slice(1, 3).every((level) => level === '+' || concreteLevel(level));
}

/** Whether a topic is one a publisher may send items on (wildcards are never allowed in a PUBLISH). */
export const isEvidenceTopic = (topic: string): boolean => parseEvidenceTopic(topic) !== undefined;

/** A topic level that names something: not empty, no wildcard. */
function concreteLevel(level: string): boolean {
  return level.length > 0 && !level.includes('+') && !level.includes('#');
}
