import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reservePort } from '@wr/gateway-api/testing';

const chaincodeDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'chaincode');


async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

describe('chaincode as a service', () => {
  let child: ChildProcess | undefined;

  afterEach(async () => {
    if (child?.pid !== undefined && child.exitCode === null) {
      // npm does not pass signals on to the server it started: stop the whole process group.
      const exited = once(child, 'exit');
      process.kill(-child.pid, 'SIGTERM');
      await exited;
    }
  });

  it('starts the compiled chaincode with `npm run start:ccaas` and listens where the peer is told to connect', async () => {
    const port = await reservePort();
    let output = '';
    child = spawn('npm', ['run', '--silent', 'start:ccaas'], {
      cwd: chaincodeDir,
      env: { ...process.env, CHAINCODE_SERVER_ADDRESS: `127.0.0.1:${port}`, CHAINCODE_ID: 'receipts:0123456789abcdef' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    let listening = false;
    for (let attempt = 0; attempt < 100 && !listening && child.exitCode === null; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      listening = await accepts(port);
    }
    expect(listening, `server did not listen; output:\n${output}`).to.equal(true);
  });
});
