import { expect } from 'chai';
import { resolve } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('configuration', () => {
  it('defaults to the embedded system on loopback port 8080 with demo identities', () => {
    const config = loadConfig({});
    expect(config).to.deep.include({ host: '127.0.0.1', port: 8080, dataDir: resolve('.data'), databaseUrl: undefined, ledger: 'embedded', devIdentities: true });
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' })).to.deep.include({ port: 8080, databaseUrl: undefined });
  });

  it('refuses an invalid value and names the variable', () => {
    expect(() => loadConfig({ PORT: '80a' })).to.throw(ConfigError, /PORT/);
    expect(() => loadConfig({ PORT: '70000' })).to.throw(ConfigError, /PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).to.throw(ConfigError, /DATABASE_URL/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).to.throw(ConfigError, /LOG_LEVEL/);
  });

  it('LEDGER=fabric needs the connection bundle, and talks to the custodian peer unless told otherwise', () => {
    expect(() => loadConfig({ LEDGER: 'fabric' })).to.throw(ConfigError, /FABRIC_CONNECTION: required with LEDGER=fabric/);
    const config = loadConfig({ LEDGER: 'fabric', FABRIC_CONNECTION: 'network/.run/gateway/connection.json' });
    expect(config.fabric?.gatewayMspId).to.equal('CustodianMSP');
    expect(config.fabric?.connection).to.match(/\/network\/\.run\/gateway\/connection\.json$/);
    expect(config.devIdentities, 'no demo tokens on a real network unless asked for').to.equal(false);
    expect(loadConfig({ LEDGER: 'fabric', FABRIC_CONNECTION: 'c.json', FABRIC_GATEWAY_MSP: 'LenderMSP' }).fabric?.gatewayMspId).to.equal('LenderMSP');
    expect(() => loadConfig({ LEDGER: 'fabric', FABRIC_CONNECTION: 'c.json', FABRIC_GATEWAY_MSP: 'Lender MSP' })).to.throw(ConfigError, /FABRIC_GATEWAY_MSP/);
    expect(loadConfig({}).fabric).to.equal(undefined);
  });

  it('lets DEV_IDENTITIES turn the demo identities off', () => {
    expect(loadConfig({ DEV_IDENTITIES: 'false' }).devIdentities).to.equal(false);
  });
});
