import { z } from 'zod';
import type { Queryable } from '../../db/database.js';
import { int8Number, parseRows } from '../../db/rows.js';

export interface DocumentRow {
  readonly evidenceId: string;
  readonly sha256: string;
  readonly size: number;
  readonly mediaType: string;
  readonly name: string;
  readonly storedPath: string | null;
}

/** The documents table: what was registered of each document, and where its bytes are once uploaded. */
export interface DocumentStore {
  insert(document: Omit<DocumentRow, 'storedPath'> & { readonly storedPath: string | null }): Promise<void>;
  /** Documents registered with this SHA-256 (hex, no prefix). */
  withHash(sha256: string): Promise<DocumentRow[]>;
  /** Records that the bytes of every document with this hash are stored at `path` (relative to DATA_DIR). */
  markStored(sha256: string, path: string): Promise<void>;
}

const documentRow = z
  .object({ evidence_id: z.string(), sha256: z.instanceof(Buffer), size: int8Number, media_type: z.string(), name: z.string(), stored_path: z.string().nullable() })
  .transform(
    (row): DocumentRow => ({
      evidenceId: row.evidence_id,
      sha256: row.sha256.toString('hex'),
      size: row.size,
      mediaType: row.media_type,
      name: row.name,
      storedPath: row.stored_path,
    }),
  );
const hexBytes = (value: string): Buffer => Buffer.from(value.replace(/^0x/, ''), 'hex');

export function documentStore(db: Queryable): DocumentStore {
  return {
    async insert(document) {
      await db.query(
        `INSERT INTO documents (evidence_id, sha256, size, media_type, name, stored_path, stored_at)
         VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $6::text IS NULL THEN NULL ELSE now() END)`,
        [document.evidenceId, hexBytes(document.sha256), document.size, document.mediaType, document.name, document.storedPath],
      );
    },

    async withHash(sha256) {
      return parseRows(
        documentRow,
        await db.query('SELECT evidence_id, sha256, size, media_type, name, stored_path FROM documents WHERE sha256 = $1 ORDER BY evidence_id', [
          hexBytes(sha256),
        ]),
      );
    },

    async markStored(sha256, path) {
      await db.query('UPDATE documents SET stored_path = $2, stored_at = now() WHERE sha256 = $1 AND stored_path IS NULL', [hexBytes(sha256), path]);
    },
  };
}
