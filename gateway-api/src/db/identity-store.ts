import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Queryable } from './database.js';
import { sqlState, StoreError } from './errors.js';
import { parseOptionalRow, parseRow, parseRows, timestamp } from './rows.js';

export const identityOrgs = ['custodian', 'lender', 'borrower'] as const;

/** An identity callers act as: its certificate, never its private key. */
export interface IdentityRecord {
  readonly id: string;
  readonly mspId: string;
  readonly org: (typeof identityOrgs)[number];
  readonly user: string;
  readonly role: string;
  readonly certificate: string;
  readonly createdAt: Date;
  readonly disabledAt: Date | null;
}

/** A token's metadata; the token itself is shown once, when issued, and never stored. */
export interface TokenRecord {
  readonly id: string;
  readonly identityId: string;
  readonly label: string;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
  readonly lastUsedAt: Date | null;
}

export interface NewIdentity {
  readonly id: string;
  readonly mspId: string;
  readonly org: IdentityRecord['org'];
  readonly user: string;
  readonly role: string;
  readonly certificate: string;
}

export interface IdentityStore {
  /** Records an identity; ALREADY_EXISTS if its id is taken. */
  createIdentity(identity: NewIdentity): Promise<IdentityRecord>;
  getIdentity(id: string): Promise<IdentityRecord | undefined>;
  listIdentities(): Promise<IdentityRecord[]>;
  /** Disables an identity (its tokens stop resolving); false if it is unknown or already disabled. */
  disableIdentity(id: string): Promise<boolean>;
  /** Issues a bearer token, returned only here; NOT_FOUND if the identity is unknown or disabled. */
  issueToken(identityId: string, label: string): Promise<{ token: string; record: TokenRecord }>;
  /** The identity a token stands for; undefined if it is unknown, revoked, or its identity is disabled. */
  resolveToken(token: string): Promise<IdentityRecord | undefined>;
  /** Revokes a token; false if it is unknown or already revoked. */
  revokeToken(tokenId: string): Promise<boolean>;
  /** Tokens, oldest first, of one identity or of all. */
  listTokens(identityId?: string): Promise<TokenRecord[]>;
}

/** Tokens are `wr_` and 32 random bytes in base64url: unguessable, so a fast hash protects them at rest. */
const TOKEN_PREFIX = 'wr_';
const tokenPattern = /^wr_[A-Za-z0-9_-]{43}$/;

/** Stored last-use times are refreshed at most this often, so that every request does not write a row. */
const LAST_USED_RESOLUTION = '1 minute';

const identityRow = z
  .object({
    id: z.string(),
    msp_id: z.string(),
    org: z.enum(identityOrgs),
    user_name: z.string(),
    role: z.string(),
    certificate: z.string(),
    created_at: timestamp,
    disabled_at: timestamp.nullable(),
  })
  .transform(
    (row): IdentityRecord => ({
      id: row.id,
      mspId: row.msp_id,
      org: row.org,
      user: row.user_name,
      role: row.role,
      certificate: row.certificate,
      createdAt: row.created_at,
      disabledAt: row.disabled_at,
    }),
  );

const tokenRow = z
  .object({
    id: z.string(),
    identity_id: z.string(),
    label: z.string(),
    created_at: timestamp,
    revoked_at: timestamp.nullable(),
    last_used_at: timestamp.nullable(),
  })
  .transform(
    (row): TokenRecord => ({
      id: row.id,
      identityId: row.identity_id,
      label: row.label,
      createdAt: row.created_at,
      revokedAt: row.revoked_at,
      lastUsedAt: row.last_used_at,
    }),
  );

const identityColumns = 'id, msp_id, org, user_name, role, certificate, created_at, disabled_at';
const tokenColumns = 'id, identity_id, label, created_at, revoked_at, last_used_at';

/** SHA-256 of the token text: what the database keeps and looks tokens up by. */
export function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export function identityStore(db: Queryable): IdentityStore {
  return {
    async createIdentity(identity) {
      try {
        const rows = await db.query(
          `INSERT INTO identities (id, msp_id, org, user_name, role, certificate) VALUES ($1, $2, $3, $4, $5, $6)
           RETURNING ${identityColumns}`,
          [identity.id, identity.mspId, identity.org, identity.user, identity.role, identity.certificate],
        );
        return parseRow(identityRow, rows);
      } catch (error) {
        if (sqlState(error) === '23505') {
          throw new StoreError('ALREADY_EXISTS', `identity ${identity.id} already exists`, { cause: error });
        }
        throw error;
      }
    },

    async getIdentity(id) {
      return parseOptionalRow(identityRow, await db.query(`SELECT ${identityColumns} FROM identities WHERE id = $1`, [id]));
    },

    async listIdentities() {
      return parseRows(identityRow, await db.query(`SELECT ${identityColumns} FROM identities ORDER BY id`));
    },

    async disableIdentity(id) {
      const rows = await db.query(
        'UPDATE identities SET disabled_at = now() WHERE id = $1 AND disabled_at IS NULL RETURNING id',
        [id],
      );
      return rows.length === 1;
    },

    async issueToken(identityId, label) {
      const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
      const id = `tok_${randomBytes(8).toString('hex')}`;
      // Inserting from the identity row makes "exists and is enabled" and the insert one atomic step.
      const rows = await db.query(
        `INSERT INTO api_tokens (id, identity_id, token_hash, label)
         SELECT $1, id, $3, $4 FROM identities WHERE id = $2 AND disabled_at IS NULL
         RETURNING ${tokenColumns}`,
        [id, identityId, tokenHash(token), label],
      );
      const record = parseOptionalRow(tokenRow, rows);
      if (record === undefined) {
        throw new StoreError('NOT_FOUND', `identity ${identityId} does not exist or is disabled`);
      }
      return { token, record };
    },

    async resolveToken(token) {
      // Malformed tokens never reach the database; well-formed ones are looked up by hash only, so lookup timing
      // tells an attacker nothing about any stored token's text.
      if (!tokenPattern.test(token)) return undefined;
      const rows = await db.query(
        `WITH hit AS (
           SELECT t.id AS token_id, i.id, i.msp_id, i.org, i.user_name, i.role, i.certificate, i.created_at, i.disabled_at
           FROM api_tokens t JOIN identities i ON i.id = t.identity_id
           WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND i.disabled_at IS NULL
         ), touched AS (
           UPDATE api_tokens SET last_used_at = now()
           WHERE id IN (SELECT token_id FROM hit)
             AND (last_used_at IS NULL OR last_used_at < now() - interval '${LAST_USED_RESOLUTION}')
           RETURNING id
         )
         SELECT ${identityColumns} FROM hit`,
        [tokenHash(token)],
      );
      return parseOptionalRow(identityRow, rows);
    },

    async revokeToken(tokenId) {
      const rows = await db.query(
        'UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id',
        [tokenId],
      );
      return rows.length === 1;
    },

    async listTokens(identityId) {
      const rows =
        identityId === undefined
          ? await db.query(`SELECT ${tokenColumns} FROM api_tokens ORDER BY created_at, id`)
          : await db.query(`SELECT ${tokenColumns} FROM api_tokens WHERE identity_id = $1 ORDER BY created_at, id`, [
              identityId,
            ]);
      return parseRows(tokenRow, rows);
    },
  };
}
