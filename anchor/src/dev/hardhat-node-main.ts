// Child process of startHardhatNode: `hardhat node` on a loopback address. It runs Hardhat's own `node` task through
// the library because the hardhat 3.9 CLI refuses Node < 22.13, while the library and EDR 0.12 run on Node 20.
import { parseArgs } from 'node:util';
import { createHardhatRuntimeEnvironment } from 'hardhat/hre';

import { anchorPackagePath } from '../chain/anchor-artifact.js';
import { isLoopbackHost } from './read-only-rpc-server.js';

const { values } = parseArgs({ options: { hostname: { type: 'string' }, port: { type: 'string' } } });
const hostname = values.hostname ?? '127.0.0.1';
const port = Number.parseInt(values.port ?? '', 10);
if (!isLoopbackHost(hostname) || !Number.isInteger(port) || port <= 0 || port > 65535) {
  process.stderr.write('usage: hardhat-node-main --hostname <loopback host> --port <1..65535>\n');
  process.exit(2);
}
const hre = await createHardhatRuntimeEnvironment({}, {}, anchorPackagePath('.'));
// Resolves only when the server stops; the parent stops it by signalling the process group.
await hre.tasks.getTask('node').run({ hostname, port });
