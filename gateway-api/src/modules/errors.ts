/**
 * Stable codes the gateway's own use cases (evidence, supervision) refuse a whole request with. Append-only: clients map them, so none is ever
 * renamed or removed. (Refusals of single items of a batch use {@link itemRejectionCodes} instead.)
 */
export const evidenceErrorCodes = [
  'DEVICE_EXISTS',
  'DEVICE_NOT_FOUND',
  'INVALID_PUBLIC_KEY',
  'EVIDENCE_NOT_FOUND',
  'DOCUMENT_NOT_FOUND',
  'CONTENT_HASH_MISMATCH',
  'CONTENT_SIZE_MISMATCH',
  'BATCH_TOO_LARGE',
  'MALFORMED_BATCH',
  'NOT_YET_ANCHORED',
  'CHECKPOINT_NOT_FOUND',
  'DEVICE_INACTIVE',
  'PLACEMENT_WAREHOUSE_MISMATCH',
  // Supervision (docs/supervision.md).
  'RULE_EXISTS',
  'RULE_NOT_FOUND',
  'RULE_NOT_OWNED',
  'RULE_RETIRED',
  'RULE_UNCHANGED',
  'RULE_ID_MISMATCH',
  'RULE_SCOPE_FORBIDDEN',
  'ALARM_NOT_FOUND',
  'ALARM_ALREADY_ACKNOWLEDGED',
  'ALARM_NOT_SHELVABLE',
  'ALARM_NOT_ACTIVE',
  // Channels (docs/events.md).
  'EVENT_NOT_FOUND',
  // Webhooks (docs/webhooks.md).
  'WEBHOOK_NOT_FOUND',
  'WEBHOOK_TARGET_FORBIDDEN',
  'WEBHOOK_DELIVERY_NOT_FOUND',
  'WEBHOOK_LIMIT_REACHED',
  // Collateral value (docs/collateral.md).
  'PRICE_NOT_FOUND',
  'PRICE_FEED_INVALID',
  'PRICE_FEED_UNREACHABLE',
  'PRICE_FEED_NOT_CONFIGURED',
  'LOAN_NOT_FOUND',
  'LOAN_AMBIGUOUS',
  'MARGIN_CALL_NOT_FOUND',
] as const;

export type EvidenceErrorCode = (typeof evidenceErrorCodes)[number];

/** A refused evidence request: the caller's mistake, with a stable code. Nothing was stored. */
export class EvidenceError extends Error {
  override readonly name = 'EvidenceError';

  constructor(
    readonly code: EvidenceErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Why one item of an evidence batch was refused (the others are not affected). Append-only, like the error codes.
 * SEQ_REPLAY: the device's seq was accepted before; SEQ_NOT_INCREASING: it is not above the last accepted one.
 */
export const itemRejectionCodes = [
  'MALFORMED_ITEM',
  'ENVELOPE_TOO_LARGE',
  'UNKNOWN_DEVICE',
  'DEVICE_INACTIVE',
  'BAD_SIGNATURE',
  'TS_OUT_OF_WINDOW',
  'SEQ_REPLAY',
  'SEQ_NOT_INCREASING',
  // MQTT only (docs/mqtt.md): the topic names another device or warehouse than the item's; the payload is not JSON;
  // the payload is larger than one item may be.
  'TOPIC_MISMATCH',
  'PAYLOAD_NOT_JSON',
  'PAYLOAD_TOO_LARGE',
] as const;

export type ItemRejectionCode = (typeof itemRejectionCodes)[number];
