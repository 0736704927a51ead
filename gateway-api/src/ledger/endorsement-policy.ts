import { common, msp } from '@hyperledger/fabric-protos';

/**
 * The organisations a state-based endorsement policy names (a `SignaturePolicyEnvelope` as fabric-shim's
 * KeyEndorsementPolicy writes it: an n-out-of-n rule over one MSP role principal per organisation).
 */
export function endorsementOrgs(policy: Uint8Array): { readonly orgs: string[]; readonly required: number } {
  const envelope = common.SignaturePolicyEnvelope.deserializeBinary(policy);
  const orgs = envelope
    .getIdentitiesList()
    .filter((principal) => principal.getPrincipalClassification() === msp.MSPPrincipal.Classification.ROLE)
    .map((principal) => msp.MSPRole.deserializeBinary(principal.getPrincipal_asU8()).getMspIdentifier())
    .sort();
  const required = envelope.getRule()?.getNOutOf()?.getN() ?? 0;
  return { orgs, required };
}
