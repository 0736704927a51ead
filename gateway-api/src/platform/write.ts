import type { Queryable } from '../db/database.js';

/**
 * Who makes a write to the gateway's own database, and what the channel it came through records with it. The use
 * case calls `record` inside its database transaction, so the record exists exactly when the change does: HTTP
 * passes its audit entry, another channel (MQTT) its own.
 */
export interface WriteContext {
  /** The identity id of the caller. */
  readonly submittedBy: string;
  /** The request (or message) id, for logs and the refusals' log. */
  readonly requestId: string;
  record(tx: Queryable): Promise<void>;
}
