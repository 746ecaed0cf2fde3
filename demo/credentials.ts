// The demo's own channel credentials, made on first start: fresh RSA keys and certificates for WeChat Pay, Alipay
// and UnionPay. The BFF's halves go to <data>/credentials (the layout bff/keys reads, pointing at the sandbox);
// the channels' halves go to <data>/sandbox/secrets.json for the sandbox. Nothing here is a real credential.

import { generateKeyPairSync, randomBytes, randomInt, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';

/** What the sandbox needs to play the three channels: their private keys and the merchant's public halves. */
export interface SandboxSecrets {
  readonly wechatpay: {
    readonly mchid: string;
    readonly appids: readonly string[];
    readonly merchantSerialNo: string;
    readonly merchantPublicKey: string;
    readonly platformPublicKeyId: string;
    readonly platformPrivateKey: string;
    readonly apiV3Key: string;
    /** The official account's and the mini-program's AppSecrets, which the sandbox's OAuth endpoints check. */
    readonly appSecret: string;
    readonly miniProgramAppSecret: string;
  };
  readonly alipay: {
    readonly appId: string;
    readonly appPublicKey: string;
    readonly alipayPrivateKey: string;
  };
  readonly unionpay: {
    readonly merId: string;
    /** The merchant's signing certificate, by which the sandbox checks requests (its serial is the certId). */
    readonly merchantCertificate: string;
    /** The sandbox's own signing certificate and key: sent as signPubKeyCert, chained to root and middle. */
    readonly signerCertificate: string;
    readonly signerPrivateKey: string;
    readonly rootCertificate: string;
    readonly middleCertificate: string;
  };
}

const pem = (key: KeyObject, kind: 'private' | 'public') =>
  kind === 'private' ? key.export({ type: 'pkcs8', format: 'pem' }).toString() : key.export({ type: 'spki', format: 'pem' }).toString();

function rsa() {
  return generateKeyPairSync('rsa', { modulusLength: 2048 });
}

function digits(count: number): string {
  return Array.from({ length: count }, () => randomInt(10)).join('');
}

interface Issued {
  readonly certificate: string;
  readonly key: KeyObject;
  readonly forgeCert: forge.pki.Certificate;
}

/** A certificate for `subject`, signed by `issuer` (or self-signed), SHA-256, ten years. */
function certificate(subject: string, issuer: Issued | undefined, options: { ca: boolean; serial: string }): Issued {
  const { privateKey, publicKey } = rsa();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(pem(publicKey, 'public'));
  cert.serialNumber = options.serial;
  cert.validity.notBefore = new Date(Date.now() - 86_400_000);
  cert.validity.notAfter = new Date(Date.now() + 10 * 365 * 86_400_000);
  const attrs = [
    { name: 'countryName', value: 'CN' },
    { name: 'organizationName', value: 'Unified Cashier Sandbox' },
    { name: 'commonName', value: subject },
  ];
  cert.setSubject(attrs);
  cert.setIssuer(issuer ? issuer.forgeCert.subject.attributes : attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: options.ca },
    { name: 'keyUsage', keyCertSign: options.ca, cRLSign: options.ca, digitalSignature: true, nonRepudiation: !options.ca },
  ]);
  const signer = issuer ? issuer.key : privateKey;
  cert.sign(forge.pki.privateKeyFromPem(signer.export({ type: 'pkcs1', format: 'pem' }).toString()), forge.md.sha256.create());
  return { certificate: forge.pki.certificateToPem(cert), key: privateKey, forgeCert: cert };
}

/**
 * Makes the demo credentials under `dataDir` unless they exist, pointing the BFF at `sandboxUrl`. Returns the
 * credentials directory and the sandbox secrets.
 */
export function ensureDemoCredentials(dataDir: string, sandboxUrl: string): { credentialsDir: string; sandbox: SandboxSecrets } {
  const credentialsDir = join(dataDir, 'credentials');
  const secretsFile = join(dataDir, 'sandbox', 'secrets.json');
  if (existsSync(secretsFile) && existsSync(join(credentialsDir, 'unionpay.json'))) {
    const sandbox = withAppSecrets(credentialsDir, secretsFile, JSON.parse(readFileSync(secretsFile, 'utf8')) as SandboxSecrets);
    rewriteGateways(credentialsDir, sandboxUrl);
    return { credentialsDir, sandbox };
  }
  mkdirSync(credentialsDir, { recursive: true, mode: 0o700 });
  mkdirSync(join(dataDir, 'sandbox'), { recursive: true, mode: 0o700 });
  const write = (name: string, content: string) => writeFileSync(join(credentialsDir, name), content, { mode: 0o600 });

  // WeChat Pay: the merchant's API key and certificate serial; WeChat's verification key in public-key mode.
  const merchant = rsa();
  const platform = rsa();
  const wechat = {
    mchid: `19${digits(8)}`,
    appid: `wx${randomBytes(8).toString('hex')}`,
    miniProgramAppid: `wx${randomBytes(8).toString('hex')}`,
    appAppid: `wx${randomBytes(8).toString('hex')}`,
    merchantSerialNo: randomBytes(20).toString('hex').toUpperCase(),
    platformPublicKeyId: `PUB_KEY_ID_${digits(32)}`,
    apiV3Key: randomBytes(16).toString('hex'),
    // AppSecrets are 32 hex characters, as the official account and mini-program consoles show them.
    appSecret: randomBytes(16).toString('hex'),
    miniProgramAppSecret: randomBytes(16).toString('hex'),
  };
  write('wechatpay-merchant-key.pem', pem(merchant.privateKey, 'private'));
  write(APP_SECRET_FILES.appSecret, wechat.appSecret);
  write(APP_SECRET_FILES.miniProgramAppSecret, wechat.miniProgramAppSecret);
  write('wechatpay-platform-public-key.pem', pem(platform.publicKey, 'public'));
  write('wechatpay-apiv3.key', wechat.apiV3Key);
  write(
    'wechatpay.json',
    JSON.stringify(
      {
        gateway: sandboxUrl,
        mchid: wechat.mchid,
        appid: wechat.appid,
        miniProgramAppid: wechat.miniProgramAppid,
        appAppid: wechat.appAppid,
        merchantSerialNo: wechat.merchantSerialNo,
        merchantPrivateKey: 'wechatpay-merchant-key.pem',
        platformPublicKeys: { [wechat.platformPublicKeyId]: 'wechatpay-platform-public-key.pem' },
        apiV3Key: 'wechatpay-apiv3.key',
        ...APP_SECRET_FILES,
        // WeChat's OAuth page and its sns API are played by the sandbox too.
        oauthGateway: sandboxUrl,
        apiGateway: sandboxUrl,
      },
      null,
      2,
    ),
  );

  // Alipay: the app's key pair, and Alipay's key pair whose public half the merchant downloads.
  const app = rsa();
  const ali = rsa();
  const appId = `2021${digits(12)}`;
  write('alipay-app-private-key.pem', pem(app.privateKey, 'private'));
  write('alipay-public-key.pem', pem(ali.publicKey, 'public'));
  write(
    'alipay.json',
    JSON.stringify({ gateway: `${sandboxUrl}/gateway.do`, appId, appPrivateKey: 'alipay-app-private-key.pem', alipayPublicKey: 'alipay-public-key.pem' }, null, 2),
  );

  // UnionPay: a root and a middle CA, the sandbox's signing certificate under them, and the merchant's certificate.
  const root = certificate('Sandbox UnionPay Root', undefined, { ca: true, serial: '01' });
  const middle = certificate('Sandbox UnionPay OCA1', root, { ca: true, serial: '02' });
  // UnionPay's CN shape `041@<org>@<identity>@<serial>` with the test environment's identity (U1): verifyMessage
  // accepts only UnionPay's signer identities, so the sandbox's answers must carry one.
  const signer = certificate('041@Z00000000@00040000:SIGN@00000001', middle, { ca: false, serial: `01${randomBytes(5).toString('hex')}` });
  const merchantCert = certificate('Sandbox Merchant', middle, { ca: false, serial: `01${randomBytes(5).toString('hex')}` });
  const merId = `777${digits(12)}`;
  write('unionpay-sign-cert.pem', merchantCert.certificate);
  write('unionpay-sign-key.pem', pem(merchantCert.key, 'private'));
  write('unionpay-root.pem', root.certificate);
  write('unionpay-middle.pem', middle.certificate);
  write(
    'unionpay.json',
    JSON.stringify(
      {
        gateway: sandboxUrl,
        merId,
        signCertificate: 'unionpay-sign-cert.pem',
        signPrivateKey: 'unionpay-sign-key.pem',
        rootCertificate: 'unionpay-root.pem',
        middleCertificate: 'unionpay-middle.pem',
      },
      null,
      2,
    ),
  );

  const sandbox: SandboxSecrets = {
    wechatpay: {
      mchid: wechat.mchid,
      appids: [wechat.appid, wechat.miniProgramAppid, wechat.appAppid],
      merchantSerialNo: wechat.merchantSerialNo,
      merchantPublicKey: pem(merchant.publicKey, 'public'),
      platformPublicKeyId: wechat.platformPublicKeyId,
      platformPrivateKey: pem(platform.privateKey, 'private'),
      apiV3Key: wechat.apiV3Key,
      appSecret: wechat.appSecret,
      miniProgramAppSecret: wechat.miniProgramAppSecret,
    },
    alipay: { appId, appPublicKey: pem(app.publicKey, 'public'), alipayPrivateKey: pem(ali.privateKey, 'private') },
    unionpay: {
      merId,
      merchantCertificate: merchantCert.certificate,
      signerCertificate: signer.certificate,
      signerPrivateKey: pem(signer.key, 'private'),
      rootCertificate: root.certificate,
      middleCertificate: middle.certificate,
    },
  };
  writeFileSync(secretsFile, JSON.stringify(sandbox, null, 2), { mode: 0o600 });
  return { credentialsDir, sandbox };
}

/** The sandbox's port may change between runs: keep the BFF's gateways pointing at it. */
function rewriteGateways(credentialsDir: string, sandboxUrl: string): void {
  const gateways: Record<string, Record<string, string>> = {
    wechatpay: { gateway: sandboxUrl, oauthGateway: sandboxUrl, apiGateway: sandboxUrl },
    alipay: { gateway: `${sandboxUrl}/gateway.do` },
    unionpay: { gateway: sandboxUrl },
  };
  for (const [channel, fields] of Object.entries(gateways)) {
    const file = join(credentialsDir, `${channel}.json`);
    const config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    if (Object.entries(fields).some(([name, url]) => config[name] !== url)) {
      writeFileSync(file, JSON.stringify({ ...config, ...fields }, null, 2), { mode: 0o600 });
    }
  }
}

/** Where the demo keeps the WeChat AppSecrets, beside wechatpay.json (the refs that file names). */
const APP_SECRET_FILES = { appSecret: 'wechatpay-app-secret', miniProgramAppSecret: 'wechatpay-miniprogram-app-secret' } as const;

/**
 * A data directory made before the OAuth stand-ins existed has no AppSecrets: they are made now, on both sides,
 * and everything else is kept.
 */
function withAppSecrets(credentialsDir: string, secretsFile: string, sandbox: SandboxSecrets): SandboxSecrets {
  const stored = sandbox.wechatpay as Partial<SandboxSecrets['wechatpay']>;
  if (stored.appSecret && stored.miniProgramAppSecret) return sandbox;
  const secrets = { appSecret: randomBytes(16).toString('hex'), miniProgramAppSecret: randomBytes(16).toString('hex') };
  for (const name of ['appSecret', 'miniProgramAppSecret'] as const) {
    writeFileSync(join(credentialsDir, APP_SECRET_FILES[name]), secrets[name], { mode: 0o600 });
  }
  const file = join(credentialsDir, 'wechatpay.json');
  const config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  writeFileSync(file, JSON.stringify({ ...config, ...APP_SECRET_FILES }, null, 2), { mode: 0o600 });
  const upgraded: SandboxSecrets = { ...sandbox, wechatpay: { ...sandbox.wechatpay, ...secrets } };
  writeFileSync(secretsFile, JSON.stringify(upgraded, null, 2), { mode: 0o600 });
  return upgraded;
}
