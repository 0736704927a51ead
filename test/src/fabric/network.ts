import { networkScript } from '@wr/gateway-api/testing/fabric';

export { gatewayBundle, networkDir, networkScript, organisationCa } from '@wr/gateway-api/testing/fabric';

/** Whether this run drives the lifecycle suite through the Fabric backend (npm run test:fabric sets it). */
export const onFabric = (): boolean => process.env.WR_LEDGER === 'fabric';

/** Why a Fabric test cannot run here, or undefined when FABRIC_BIN names the binaries (or NETWORK_RUNTIME=docker). */
export function fabricUnavailable(): string | undefined {
  if (process.env.FABRIC_BIN || process.env.NETWORK_RUNTIME === 'docker') return undefined;
  const reason = 'FABRIC_BIN is not set (it names the folder with peer, orderer, configtxgen, cryptogen, osnadmin)';
  if (process.env.FABRIC_REQUIRED === '1') throw new Error(reason);
  return reason;
}

let channels = 0;

/** A new channel with the chaincode committed on it: an empty ledger on the same peers. */
export function freshChannel(): string {
  const name = `t${Date.now().toString(36)}-${(++channels).toString()}`;
  networkScript('channel', name);
  return name;
}
