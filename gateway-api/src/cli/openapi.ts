import { openApiDocument } from '../http/openapi.js';
import { everyOperation } from '../modules/index.js';

/**
 * `npm run openapi [-- SERVER_URL]`: prints the OpenAPI document that GET /openapi.json serves, without starting a
 * gateway (the console's build generates its typed API client from it).
 */
const serverUrl = process.argv[2] ?? 'http://127.0.0.1:8080';
if (!/^https?:\/\/[^\s]+$/.test(serverUrl)) {
  console.error(`usage: npm run openapi [-- SERVER_URL]; ${serverUrl} is not an http(s) URL`);
  process.exit(2);
}
process.stdout.write(`${JSON.stringify(openApiDocument(everyOperation, serverUrl), null, 2)}\n`);
