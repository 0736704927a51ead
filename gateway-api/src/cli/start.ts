import { join } from 'node:path';
import { ConfigError, loadConfig } from '../config.js';
import { startGateway } from '../main.js';

/** `npm start`: the gateway on embedded defaults (or what the environment configures), until SIGTERM or SIGINT. */
async function main(): Promise<void> {
  const config = loadConfig();
  const gateway = await startGateway(config);
  const lines = [
    '',
    `  Warehouse receipt registry gateway: ${gateway.url}`,
    `  API page:      ${gateway.url}/docs/`,
    `  OpenAPI:       ${gateway.url}/openapi.json`,
    `  Health:        ${gateway.url}/healthz`,
  ];
  if (gateway.devTokens) {
    lines.push(`  Demo tokens:   ${join(config.dataDir, 'dev-tokens.json')}`);
    for (const [id, token] of Object.entries(gateway.devTokens)) lines.push(`    ${id.padEnd(26)} ${token}`);
  }
  lines.push('', '  Ctrl+C stops it; data stays in DATA_DIR.', '');
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping (finishing requests in flight)...\n`);
    gateway.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});
