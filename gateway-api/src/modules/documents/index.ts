import { serve } from '../../http/operation.js';
import { defineModule } from '../../platform/module.js';
import { documents as documentRegistry } from './documents.js';
import { fileObjectStore } from './object-store.js';
import { operations } from './operations.js';

export { documents, type DocumentRegistered, type DocumentRegistration, type Documents, type DocumentsOptions } from './documents.js';
export { fileObjectStore, type ObjectStore } from './object-store.js';
export { operations as documentOperations } from './operations.js';

/** Documents (weighbridge tickets, certificates, photos) as evidence: POST /v1/documents, PUT …/content. */
export const documentsModule = defineModule('documents', { migrations: [] }, (ctx) => {
  const documents = documentRegistry({ db: ctx.db, objects: fileObjectStore(ctx.config.dataDir), leaves: ctx.use('leaves'), clock: ctx.clock });
  return { operations: serve(operations, documents) };
});
