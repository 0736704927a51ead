import assert from 'node:assert/strict';
import { commonName, orgKindOf } from '../src/roles';

describe('caller identity', () => {
  it('reads the subject CN from a fabric-shim client id', () => {
    assert.equal(commonName('x509::/C=CN/O=Custodian/OU=client/CN=zhang::/C=CN/O=Custodian/CN=ca.custodian'), 'zhang');
  });

  it('refuses ids that could be crafted to read as someone else (escaped slash, extra "::", two CNs, no CN)', () => {
    assert.equal(commonName('x509::/O=x/CN=mallory\\/CN=alice::/CN=ca'), undefined);
    assert.equal(commonName('x509::/CN=alice::/CN=x::/CN=ca'), undefined);
    assert.equal(commonName('x509::/CN=alice/CN=bob::/CN=ca'), undefined);
    assert.equal(commonName('x509::/O=x::/CN=ca'), undefined);
    assert.equal(commonName('x509::/CN=::/CN=ca'), undefined);
    assert.equal(commonName('alice'), undefined);
  });

  it('knows exactly the three organisations and nothing inherited from Object', () => {
    assert.equal(orgKindOf('CustodianMSP'), 'custodian');
    assert.equal(orgKindOf('LenderMSP'), 'lender');
    assert.equal(orgKindOf('BorrowerMSP'), 'borrower');
    assert.equal(orgKindOf('OtherMSP'), undefined);
    assert.equal(orgKindOf('constructor'), undefined);
    assert.equal(orgKindOf('toString'), undefined);
  });
});
