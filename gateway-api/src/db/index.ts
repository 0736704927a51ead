export { auditLog, type AuditEntry, type AuditLog, type RecordedAuditEntry } from './audit-log.js';
export {
  connectDatabase,
  openDatabase,
  type Database,
  type DatabaseOptions,
  type Queryable,
} from './database.js';
export { DatabaseError, StoreError, storeErrorCodes, type StoreErrorCode } from './errors.js';
export {
  identityStore,
  tokenHash,
  type IdentityRecord,
  type IdentityStore,
  type NewIdentity,
  type TokenRecord,
} from './identity-store.js';
export {
  idempotencyStore,
  type IdempotencyBegin,
  type IdempotencyOptions,
  type IdempotencyStore,
} from './idempotency-store.js';
export { defaultMigrationsDir, migrate, readMigrations, type Migration } from './migrate.js';
