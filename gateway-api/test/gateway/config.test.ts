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

  it('says plainly that the Fabric backend is not in this build', () => {
    expect(() => loadConfig({ LEDGER: 'fabric' })).to.throw(ConfigError, /LEDGER=fabric/);
  });

  it('lets DEV_IDENTITIES turn the demo identities off', () => {
    expect(loadConfig({ DEV_IDENTITIES: 'false' }).devIdentities).to.equal(false);
  });
});
