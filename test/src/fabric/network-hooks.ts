import { fabricUnavailable, networkScript } from './network.js';

/**
 * Mocha global fixtures for npm run test:fabric: the network comes up once for the whole run (up, deploy, enroll)
 * and goes down at the end (NETWORK_KEEP=1 keeps it, to look at its logs).
 */
export function mochaGlobalSetup(): void {
  const unavailable = fabricUnavailable();
  if (unavailable) {
    console.log(`Fabric network not started: ${unavailable}`);
    return;
  }
  networkScript('down');
  networkScript('up');
  networkScript('deploy');
  networkScript('enroll');
}

export function mochaGlobalTeardown(): void {
  if (fabricUnavailable() || process.env.NETWORK_KEEP === '1') return;
  networkScript('down');
}
