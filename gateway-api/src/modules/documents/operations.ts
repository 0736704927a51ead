import { defineOperation } from '../../http/operation.js';
import { custodian } from '../access.js';
import type { Documents } from './documents.js';
import * as schemas from './schemas.js';

const operation = defineOperation<Documents>();
const writers = custodian('clerk', 'supervisor', 'device-gateway');

export const operations = [
  operation({
    operationId: 'registerDocument',
    method: 'post',
    path: '/v1/documents',
    summary: "Register a document by its SHA-256 and metadata; it becomes evidence (a leaf). Its bytes follow with PUT .../content",
    tag: 'Documents',
    allowed: writers,
    body: schemas.documentBody,
    response: schemas.documentRegistered,
    audit: 'RegisterDocument',
    successStatus: 201,
    run: async ({ body, write }, documents) => ({ data: await documents.register(body, write) }),
  }),
  operation({
    operationId: 'putDocumentContent',
    method: 'put',
    path: '/v1/documents/{hash}/content',
    summary:
      "Upload a registered document's bytes (application/octet-stream); they are kept only if their SHA-256 and size " +
      'are the registered ones. Content-addressed, so repeating the upload is harmless',
    tag: 'Documents',
    allowed: writers,
    params: schemas.hashParams,
    binaryBody: true,
    response: schemas.documentContentStored,
    audit: 'StoreDocumentContent',
    successStatus: 200,
    run: async ({ params, content, write }, documents) => ({ data: await documents.storeContent(params.hash, content, write) }),
  }),
];
