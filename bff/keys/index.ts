// Channel credentials, loaded only by the BFF: one JSON file per channel in a credentials directory
// (CASHIER_CREDENTIALS, default .data/credentials). A key field names a file beside the JSON, or `env:NAME` to
// read the value from the environment. Nothing here is ever put in a response or a log line.

import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';
import * as v from 'valibot';
import { loadPrivateKey, loadPublicKey } from '../channels/crypto-util.ts';

const Ref = v.pipe(v.string(), v.minLength(1));

export const WechatpayConfigSchema = v.strictObject({
  gateway: v.pipe(v.string(), v.url()),
  mchid: v.pipe(v.string(), v.regex(/^\d{8,12}$/)),
  /** The official account's app id (JSAPI, Native, H5). */
  appid: v.string(),
  /** The mini-program's app id, when the merchant has one. */
  miniProgramAppid: v.optional(v.string()),
  /** The mobile app's Open Platform app id, for APP pay. */
  appAppid: v.optional(v.string()),
  /** Serial number of the merchant API certificate (sent as serial_no in every request signature). */
  merchantSerialNo: v.pipe(v.string(), v.regex(/^[0-9A-Fa-f]{8,40}$/)),
  merchantPrivateKey: Ref,
  /** WeChat Pay's verification keys by serial: `PUB_KEY_ID_…` public keys or platform-certificate serials. */
  platformPublicKeys: v.record(v.string(), Ref),
  apiV3Key: Ref,
  /** The official account's AppSecret: exchanges web-OAuth codes for the payer's openid (JSAPI). */
  appSecret: v.optional(Ref),
  /** The mini-program's AppSecret: exchanges wx.login codes (jscode2session) for the payer's openid. */
  miniProgramAppSecret: v.optional(Ref),
  /** Where the customer's browser is sent for web OAuth (connect/oauth2/authorize). */
  oauthGateway: v.optional(v.pipe(v.string(), v.url()), 'https://open.weixin.qq.com'),
  /** Where code exchanges go, server to server (sns/oauth2/access_token, sns/jscode2session). */
  apiGateway: v.optional(v.pipe(v.string(), v.url()), 'https://api.weixin.qq.com'),
});

export const AlipayConfigSchema = v.strictObject({
  gateway: v.pipe(v.string(), v.url()),
  appId: v.pipe(v.string(), v.regex(/^\d{16}$/)),
  appPrivateKey: Ref,
  alipayPublicKey: Ref,
});

export const UnionpayConfigSchema = v.strictObject({
  gateway: v.pipe(v.string(), v.url()),
  merId: v.pipe(v.string(), v.regex(/^\d{15}$/)),
  /** The merchant signing certificate and key, as PEM files… */
  signCertificate: v.optional(Ref),
  signPrivateKey: v.optional(Ref),
  /** …or the .pfx UnionPay issues, with its password. */
  signPfx: v.optional(Ref),
  signPfxPassword: v.optional(Ref),
  /** UnionPay's root and middle certificates, which every answer's signPubKeyCert must chain to. */
  rootCertificate: Ref,
  middleCertificate: Ref,
});

export interface WechatpayCredentials {
  readonly gateway: string;
  readonly mchid: string;
  readonly appid: string;
  readonly miniProgramAppid: string | undefined;
  readonly appAppid: string | undefined;
  readonly merchantSerialNo: string;
  readonly merchantPrivateKey: KeyObject;
  readonly platformPublicKeys: ReadonlyMap<string, KeyObject>;
  readonly apiV3Key: string;
  readonly appSecret: string | undefined;
  readonly miniProgramAppSecret: string | undefined;
  readonly oauthGateway: string;
  readonly apiGateway: string;
}

export interface AlipayCredentials {
  readonly gateway: string;
  readonly appId: string;
  readonly appPrivateKey: KeyObject;
  readonly alipayPublicKey: KeyObject;
}

export interface UnionpayCredentials {
  readonly gateway: string;
  readonly merId: string;
  /** The signing certificate's serial in decimal, sent as certId. */
  readonly certId: string;
  readonly signPrivateKey: KeyObject;
  readonly rootCertificate: string;
  readonly middleCertificate: string;
}

export interface Credentials {
  readonly wechatpay?: WechatpayCredentials;
  readonly alipay?: AlipayCredentials;
  readonly unionpay?: UnionpayCredentials;
}

export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
  readonly code = 'credentials_invalid';
}

/** Loads every channel configured in `dir`; a channel without its JSON file is simply not configured. */
export function loadCredentials(dir: string, env: NodeJS.ProcessEnv = process.env): Credentials {
  const read = (ref: string): string => {
    if (ref.startsWith('env:')) {
      const value = env[ref.slice(4)];
      if (!value) throw new CredentialsError(`environment variable ${ref.slice(4)} is not set`);
      return value;
    }
    const path = join(dir, ref);
    if (!existsSync(path)) throw new CredentialsError(`credential file ${ref} is missing in ${dir}`);
    return readFileSync(path, 'utf8');
  };
  // A .pfx is binary: from the environment it comes base64-encoded; from a file it is read as bytes.
  const readBytes = (ref: string): Buffer => (ref.startsWith('env:') ? Buffer.from(read(ref), 'base64') : Buffer.from(readFileSync(join(dir, ref))));
  const config = <S extends v.GenericSchema>(name: string, schema: S): v.InferOutput<S> | undefined => {
    const path = join(dir, `${name}.json`);
    if (!existsSync(path)) return undefined;
    const result = v.safeParse(schema, JSON.parse(readFileSync(path, 'utf8')));
    if (!result.success) {
      const issue = result.issues[0];
      throw new CredentialsError(`${name}.json: ${v.getDotPath(issue) ?? ''} ${issue.message}`);
    }
    return result.output;
  };

  const wechat = config('wechatpay', WechatpayConfigSchema);
  const alipay = config('alipay', AlipayConfigSchema);
  const unionpay = config('unionpay', UnionpayConfigSchema);

  return {
    ...(wechat && {
      wechatpay: {
        gateway: wechat.gateway,
        mchid: wechat.mchid,
        appid: wechat.appid,
        miniProgramAppid: wechat.miniProgramAppid,
        appAppid: wechat.appAppid,
        merchantSerialNo: wechat.merchantSerialNo.toUpperCase(),
        merchantPrivateKey: loadPrivateKey(read(wechat.merchantPrivateKey)),
        platformPublicKeys: new Map(Object.entries(wechat.platformPublicKeys).map(([serial, ref]) => [serial, loadPublicKey(read(ref))])),
        apiV3Key: apiV3Key(read(wechat.apiV3Key)),
        appSecret: wechat.appSecret === undefined ? undefined : appSecret(read(wechat.appSecret)),
        miniProgramAppSecret: wechat.miniProgramAppSecret === undefined ? undefined : appSecret(read(wechat.miniProgramAppSecret)),
        oauthGateway: wechat.oauthGateway,
        apiGateway: wechat.apiGateway,
      },
    }),
    ...(alipay && {
      alipay: {
        gateway: alipay.gateway,
        appId: alipay.appId,
        appPrivateKey: loadPrivateKey(read(alipay.appPrivateKey)),
        alipayPublicKey: loadPublicKey(read(alipay.alipayPublicKey)),
      },
    }),
    ...(unionpay && { unionpay: unionpayCredentials(unionpay, read, readBytes) }),
  };
}

function unionpayCredentials(
  config: v.InferOutput<typeof UnionpayConfigSchema>,
  read: (ref: string) => string,
  readBytes: (ref: string) => Buffer,
): UnionpayCredentials {
  let certificate: string;
  let key: KeyObject;
  if (config.signPfx) {
    ({ certificate, key } = fromPfx(readBytes(config.signPfx), config.signPfxPassword ? read(config.signPfxPassword).trim() : ''));
  } else if (config.signCertificate && config.signPrivateKey) {
    certificate = read(config.signCertificate);
    key = loadPrivateKey(read(config.signPrivateKey));
  } else {
    throw new CredentialsError('unionpay.json needs signPfx, or signCertificate and signPrivateKey');
  }
  return {
    gateway: config.gateway,
    merId: config.merId,
    certId: BigInt(`0x${new X509Certificate(certificate).serialNumber}`).toString(10),
    signPrivateKey: key,
    rootCertificate: read(config.rootCertificate),
    middleCertificate: read(config.middleCertificate),
  };
}

/** Opens a PKCS#12 file as UnionPay issues them (node:crypto cannot read PKCS#12). */
export function fromPfx(pfx: Buffer, password: string): { certificate: string; key: KeyObject } {
  const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(forge.util.createBuffer(pfx.toString('binary'))), password);
  const keyType = forge.pki.oids.pkcs8ShroudedKeyBag as string;
  const certType = forge.pki.oids.certBag as string;
  const keyBag = p12.getBags({ bagType: keyType })[keyType]?.[0];
  const certBag = p12.getBags({ bagType: certType })[certType]?.[0];
  if (!keyBag?.key || !certBag?.cert) throw new CredentialsError('the .pfx holds no key and certificate');
  return { certificate: forge.pki.certificateToPem(certBag.cert), key: createPrivateKey(forge.pki.privateKeyToPem(keyBag.key)) };
}

function apiV3Key(text: string): string {
  const key = text.trim();
  // AEAD_AES_256_GCM needs 32 bytes; the APIv3 key is 32 ASCII characters (reference §1.4).
  if (Buffer.byteLength(key) !== 32) throw new CredentialsError('the WeChat Pay APIv3 key must be 32 characters');
  return key;
}

function appSecret(text: string): string {
  const secret = text.trim();
  // WeChat's AppSecrets are 32 hex characters; the check only refuses what is plainly not one (a pasted line break).
  if (!/^[\x21-\x7e]{16,64}$/.test(secret)) throw new CredentialsError('a WeChat AppSecret must be 16–64 printable characters');
  return secret;
}
