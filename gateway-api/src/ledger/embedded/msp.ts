import { X509Certificate, type KeyObject } from 'node:crypto';
import { LedgerError } from '../errors.js';

/** A validated creator: the organisation's CA issued its certificate and it is within its validity period. */
export interface ValidatedCreator {
  readonly mspId: string;
  readonly certificate: X509Certificate;
  readonly publicKey: KeyObject;
}

/**
 * The channel's membership: one root CA per organisation, as in the channel configuration's MSP definitions.
 * Validation results are cached per certificate, since the same few identities sign every transaction.
 */
export class MembershipRegistry {
  private readonly roots = new Map<string, X509Certificate>();
  private readonly validated = new Map<string, ValidatedCreator>();

  constructor(orgs: readonly { readonly mspId: string; readonly rootCertificate: string }[]) {
    for (const org of orgs) this.roots.set(org.mspId, new X509Certificate(org.rootCertificate));
  }

  get mspIds(): string[] {
    return [...this.roots.keys()];
  }

  validate(mspId: string, certificatePem: string, now: Date): ValidatedCreator {
    const cacheKey = `${mspId}\n${certificatePem}`;
    const cached = this.validated.get(cacheKey);
    if (cached && inValidity(cached.certificate, now)) return cached;

    const root = this.roots.get(mspId);
    if (!root) throw new LedgerError(`MSP ${mspId} is not a member of this channel`, { code: 'ACCESS_DENIED' });
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(certificatePem);
    } catch (cause) {
      throw new LedgerError('creator certificate cannot be parsed', { code: 'ACCESS_DENIED', cause });
    }
    if (!certificate.checkIssued(root) || !certificate.verify(root.publicKey)) {
      throw new LedgerError(`creator certificate was not issued by the CA of ${mspId}`, { code: 'ACCESS_DENIED' });
    }
    if (!inValidity(certificate, now)) {
      throw new LedgerError('creator certificate is expired or not yet valid', { code: 'ACCESS_DENIED' });
    }
    const creator = { mspId, certificate, publicKey: certificate.publicKey };
    this.validated.set(cacheKey, creator);
    return creator;
  }
}

function inValidity(certificate: X509Certificate, now: Date): boolean {
  return new Date(certificate.validFrom) <= now && now <= new Date(certificate.validTo);
}
