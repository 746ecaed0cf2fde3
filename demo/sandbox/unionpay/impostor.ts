// The `forgeSignature` fault's signer: someone who is not UnionPay but tries to pass as it. Its certificate copies
// the sandbox signer's subject and names the UnionPay middle CA as issuer, but it made and signed the certificate
// itself, with a key of its own: only the chain check (leaf signed by middle, §3.2) tells it apart.

import { generateKeyPair, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { sign } from '../../../bff/channels/unionpay/crypto.ts';
import type { SandboxSecrets } from '../../credentials.ts';

export interface Impostor {
  readonly certificate: string;
  readonly privateKey: KeyObject;
}

type Names = Pick<SandboxSecrets['unionpay'], 'signerCertificate' | 'middleCertificate'>;

// One impostor per signer for the whole process. Making an RSA key blocks for a tenth of a second or more, and a
// notifier that stalls that long bunches every retry that fell due meanwhile; the key is a throwaway, so sharing
// it between sandboxes that play the same signer changes nothing they show.
const made = new Map<string, Impostor>();
const warming = new Set<string>();
const idOf = (names: Names) => `${names.signerCertificate}\n${names.middleCertificate}`;

/** Starts making the impostor off the main thread, so the first forged notification finds it ready. */
export function warmImpostor(names: Names): void {
  const id = idOf(names);
  if (made.has(id) || warming.has(id)) return;
  warming.add(id);
  generateKeyPair('rsa', { modulusLength: 2048 }, (error, publicKey, privateKey) => {
    warming.delete(id);
    if (!error && !made.has(id)) made.set(id, certify(names, publicKey, privateKey));
  });
}

/** The impostor for this signer: a fresh key and a self-made certificate claiming its name and issuer. */
export function impostorFor(names: Names): Impostor {
  const id = idOf(names);
  let impostor = made.get(id);
  if (!impostor) {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    impostor = certify(names, publicKey, privateKey);
    made.set(id, impostor);
  }
  return impostor;
}

function certify(names: Names, publicKey: KeyObject, privateKey: KeyObject): Impostor {
  const real = forge.pki.certificateFromPem(names.signerCertificate);
  const middle = forge.pki.certificateFromPem(names.middleCertificate);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  // A positive serial (leading byte below 0x80), as X.509 requires.
  cert.serialNumber = `01${randomBytes(5).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 86_400_000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 86_400_000);
  cert.setSubject(real.subject.attributes);
  cert.setIssuer(middle.subject.attributes);
  cert.sign(forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()), forge.md.sha256.create());
  return { certificate: forge.pki.certificateToPem(cert), privateKey };
}

/** The same fields as a real message would carry, with the impostor's signPubKeyCert and signature. */
export function signAsImpostor(fields: Readonly<Record<string, string>>, impostor: Impostor): Record<string, string> {
  const { signature: _, signPubKeyCert: __, ...rest } = fields;
  const message: Record<string, string> = { ...rest, signPubKeyCert: impostor.certificate };
  return { ...message, signature: sign(message, impostor.privateKey) };
}
