import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Identity } from '../ledger/port.js';

x509.cryptoProvider.set(globalThis.crypto);

/** The X.509 extension in which Fabric CA writes a certificate's attributes (`{"attrs":{...}}`, raw JSON bytes). */
export const FABRIC_ATTRS_OID = '1.2.3.4.5.6.7.8.1';

const signingAlgorithm = { name: 'ECDSA', hash: 'SHA-256' } as const;
const keyAlgorithm = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const validityYears = 10;
const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A development certificate authority of one organisation: Fabric-CA-shaped certificates, kept on disk. */
export interface DevCa {
  readonly mspId: string;
  /** The CA's own certificate (PEM): the root an MSP trusts. */
  readonly certificate: string;
  /** Issues a client certificate for `user` carrying the `role` attribute, as Fabric CA would enrol it. */
  issue(user: string, role: string): Promise<Identity>;
}

/** Opens the CA of `mspId` under `dir`, creating its key and self-signed certificate on first use. */
export async function openDevCa(dir: string, mspId: string): Promise<DevCa> {
  if (!namePattern.test(mspId)) throw new Error(`invalid MSP id: ${mspId}`);
  const { cert, privateKey } = await loadOrCreateRoot(join(dir, mspId), mspId);
  return caOf(mspId, cert, privateKey);
}

/**
 * A CA from an existing certificate and PKCS#8 private key (PEM), e.g. the one cryptogen made for an organisation of
 * a real network: it issues client certificates with the `role` attribute exactly as openDevCa's do.
 */
export async function caFromPem(mspId: string, certificatePem: string, privateKeyPem: string): Promise<DevCa> {
  const cert = new x509.X509Certificate(certificatePem);
  const privateKey = await webcrypto.subtle.importKey('pkcs8', pemBody(privateKeyPem), keyAlgorithm, false, ['sign']);
  return caOf(mspId, cert, privateKey);
}

async function caOf(mspId: string, cert: x509.X509Certificate, caKey: webcrypto.CryptoKey): Promise<DevCa> {
  const caPublicKey = await webcrypto.subtle.importKey('spki', cert.publicKey.rawData, keyAlgorithm, true, ['verify']);
  return {
    mspId,
    certificate: cert.toString('pem'),
    async issue(user, role) {
      if (!namePattern.test(user)) throw new Error(`invalid user name: ${user}`);
      if (!namePattern.test(role)) throw new Error(`invalid role: ${role}`);
      const userKeys = await webcrypto.subtle.generateKey(keyAlgorithm, true, ['sign', 'verify']);
      const attrs = { attrs: { 'hf.Affiliation': '', 'hf.EnrollmentID': user, 'hf.Type': 'client', role } };
      const now = new Date();
      const issued = await x509.X509CertificateGenerator.create({
        serialNumber: serialNumber(),
        subject: `CN=${user}, OU=client, O=${mspId}`,
        issuer: cert.subject,
        notBefore: new Date(now.getTime() - 60_000),
        notAfter: yearsFrom(now, validityYears),
        signingAlgorithm,
        publicKey: userKeys.publicKey,
        signingKey: caKey,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          await x509.SubjectKeyIdentifierExtension.create(userKeys.publicKey),
          await x509.AuthorityKeyIdentifierExtension.create(caPublicKey),
          new x509.Extension(FABRIC_ATTRS_OID, false, new TextEncoder().encode(JSON.stringify(attrs))),
        ],
      });
      const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', userKeys.privateKey);
      return {
        mspId,
        certificate: issued.toString('pem'),
        privateKey: createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }),
      };
    },
  };
}

async function loadOrCreateRoot(caDir: string, mspId: string): Promise<{ cert: x509.X509Certificate; privateKey: webcrypto.CryptoKey }> {
  const certPath = join(caDir, 'ca-cert.pem');
  const keyPath = join(caDir, 'ca-key.pem');
  const existing = await readIfExists(certPath);
  if (existing !== undefined) {
    const cert = new x509.X509Certificate(existing);
    const keyPem = await readFile(keyPath, 'utf8');
    const privateKey = await webcrypto.subtle.importKey('pkcs8', pemBody(keyPem), keyAlgorithm, false, ['sign']);
    return { cert, privateKey };
  }

  const keys = await webcrypto.subtle.generateKey(keyAlgorithm, true, ['sign', 'verify']);
  const now = new Date();
  const org = mspId.replace(/MSP$/, '').toLowerCase();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=ca.${org}.dev, O=${mspId}`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: yearsFrom(now, validityYears),
    signingAlgorithm,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  await mkdir(caDir, { recursive: true, mode: 0o700 });
  // The key first: a certificate on disk without its key would leave the CA unusable after a crash.
  await writeFile(keyPath, toPem('PRIVATE KEY', pkcs8), { mode: 0o600 });
  await writeFile(certPath, cert.toString('pem'), { mode: 0o644 });
  return { cert, privateKey: keys.privateKey };
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function serialNumber(): string {
  // Positive 128-bit serial, as RFC 5280 asks (at most 20 octets, non-negative).
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

function yearsFrom(date: Date, years: number): Date {
  const result = new Date(date);
  result.setUTCFullYear(result.getUTCFullYear() + years);
  return result;
}

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

function toPem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
