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

  it('runs the embedded MQTT broker on 1883 unless MQTT_PORT=0 turns it off or MQTT_URL names a real broker', () => {
    expect(loadConfig({}).mqtt).to.deep.equal({ url: undefined, embeddedPort: 1883, clientId: 'wr-gateway' });
    expect(loadConfig({ MQTT_PORT: '0' }).mqtt.embeddedPort).to.equal(undefined);
    expect(loadConfig({ MQTT_URL: 'mqtts://gw:secret@broker.example:8883', MQTT_CLIENT_ID: 'wr-gw-2' }).mqtt).to.deep.equal({
      url: 'mqtts://gw:secret@broker.example:8883',
      embeddedPort: undefined,
      clientId: 'wr-gw-2',
    });
    expect(() => loadConfig({ MQTT_URL: 'http://broker' })).to.throw(ConfigError, /MQTT_URL/);
    expect(() => loadConfig({ MQTT_PORT: '1883x' })).to.throw(ConfigError, /MQTT_PORT/);
    expect(() => loadConfig({ MQTT_URL: 'mqtt://broker', MQTT_PORT: '1883' })).to.throw(ConfigError, /MQTT_PORT: the embedded broker does not start with MQTT_URL/);
    expect(() => loadConfig({ MQTT_CLIENT_ID: 'has space' })).to.throw(ConfigError, /MQTT_CLIENT_ID/);
  });
});
