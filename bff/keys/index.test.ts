import { X509Certificate, createPublicKey, createSign, createVerify } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { describe, expect, it } from 'vitest';
import { ensureDemoCredentials } from '../../demo/credentials.ts';
import { loadPrivateKey as privateKey, loadPublicKey as publicKey } from '../channels/crypto-util.ts';
import { fromPfx, loadCredentials } from './index.ts';


function roundTrip(privateKeyObject: import('node:crypto').KeyObject, publicPem: string): boolean {
  const signature = createSign('sha256').update('message').sign(privateKeyObject);
  return createVerify('sha256').update('message').verify(createPublicKey(publicPem), signature);
}

describe('demo credentials and the loader', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cashier-keys-'));
  const { credentialsDir, sandbox } = ensureDemoCredentials(dir, 'http://127.0.0.1:8788');
  const credentials = loadCredentials(credentialsDir);

  it('loads all three channels, pointed at the sandbox', () => {
    expect(credentials.wechatpay?.gateway).toBe('http://127.0.0.1:8788');
    expect(credentials.alipay?.gateway).toBe('http://127.0.0.1:8788/gateway.do');
    expect(credentials.unionpay?.merId).toMatch(/^777\d{12}$/);
  });

  it('gives each side the matching half', () => {
    const wechat = credentials.wechatpay!;
    expect(roundTrip(wechat.merchantPrivateKey, sandbox.wechatpay.merchantPublicKey)).toBe(true);
    const platformKey = wechat.platformPublicKeys.get(sandbox.wechatpay.platformPublicKeyId);
    const signature = createSign('sha256').update('x').sign(privateKey(sandbox.wechatpay.platformPrivateKey));
    expect(createVerify('sha256').update('x').verify(platformKey!, signature)).toBe(true);
    expect(wechat.apiV3Key).toBe(sandbox.wechatpay.apiV3Key);
    expect(roundTrip(credentials.alipay!.appPrivateKey, sandbox.alipay.appPublicKey)).toBe(true);
    const aliSignature = createSign('sha256').update('y').sign(privateKey(sandbox.alipay.alipayPrivateKey));
    expect(createVerify('sha256').update('y').verify(credentials.alipay!.alipayPublicKey, aliSignature)).toBe(true);
  });

  it('chains the UnionPay certificates and names the merchant certificate by its decimal serial', () => {
    const unionpay = credentials.unionpay!;
    const root = new X509Certificate(sandbox.unionpay.rootCertificate);
    const middle = new X509Certificate(sandbox.unionpay.middleCertificate);
    const signer = new X509Certificate(sandbox.unionpay.signerCertificate);
    const merchant = new X509Certificate(sandbox.unionpay.merchantCertificate);
    expect(middle.checkIssued(root) && middle.verify(root.publicKey)).toBe(true);
    expect(signer.checkIssued(middle) && signer.verify(middle.publicKey)).toBe(true);
    expect(merchant.verify(middle.publicKey)).toBe(true);
    expect(unionpay.certId).toBe(BigInt(`0x${merchant.serialNumber}`).toString(10));
    expect(unionpay.certId).toMatch(/^\d+$/);
    expect(roundTrip(unionpay.signPrivateKey, merchant.publicKey.export({ type: 'spki', format: 'pem' }).toString())).toBe(true);
  });

  it('keeps the credentials it made on a second start', () => {
    const again = ensureDemoCredentials(dir, 'http://127.0.0.1:9999');
    expect(again.sandbox).toEqual(sandbox);
    expect(loadCredentials(credentialsDir).wechatpay?.gateway).toBe('http://127.0.0.1:9999');
  });

  it('gives the BFF the WeChat AppSecrets the sandbox checks, and points WeChat’s OAuth and sns API at the sandbox', () => {
    const wechat = credentials.wechatpay!;
    expect(wechat.appSecret).toBe(sandbox.wechatpay.appSecret);
    expect(wechat.miniProgramAppSecret).toBe(sandbox.wechatpay.miniProgramAppSecret);
    expect(wechat.appSecret).toMatch(/^[0-9a-f]{32}$/);
    expect(wechat.appSecret).not.toBe(wechat.miniProgramAppSecret);
    const again = loadCredentials(ensureDemoCredentials(dir, 'http://127.0.0.1:7777').credentialsDir).wechatpay!;
    expect([again.oauthGateway, again.apiGateway]).toEqual(['http://127.0.0.1:7777', 'http://127.0.0.1:7777']);
    ensureDemoCredentials(dir, 'http://127.0.0.1:9999');
  });

  it('defaults WeChat’s OAuth and sns gateways to WeChat’s own, and has no AppSecret unless one is configured', () => {
    const file = join(credentialsDir, 'wechatpay.json');
    const config = JSON.parse(readFileSync(file, 'utf8'));
    const { appSecret: _a, miniProgramAppSecret: _m, oauthGateway: _o, apiGateway: _g, ...bare } = config;
    writeFileSync(file, JSON.stringify(bare));
    const wechat = loadCredentials(credentialsDir).wechatpay!;
    expect([wechat.oauthGateway, wechat.apiGateway]).toEqual(['https://open.weixin.qq.com', 'https://api.weixin.qq.com']);
    expect([wechat.appSecret, wechat.miniProgramAppSecret]).toEqual([undefined, undefined]);
    writeFileSync(file, JSON.stringify({ ...config, appSecret: 'env:TEST_WECHAT_APP_SECRET' }));
    expect(loadCredentials(credentialsDir, { TEST_WECHAT_APP_SECRET: `${sandbox.wechatpay.appSecret}\n` }).wechatpay?.appSecret).toBe(sandbox.wechatpay.appSecret);
    expect(() => loadCredentials(credentialsDir, { TEST_WECHAT_APP_SECRET: 'short' })).toThrow(/AppSecret/);
    writeFileSync(file, JSON.stringify(config));
  });

  it('adds AppSecrets to a demo data directory made before they existed, on both sides', () => {
    const old = mkdtempSync(join(tmpdir(), 'cashier-keys-old-'));
    const made = ensureDemoCredentials(old, 'http://127.0.0.1:8788');
    const secretsFile = join(old, 'sandbox', 'secrets.json');
    const { appSecret: _a, miniProgramAppSecret: _m, ...olderWechat } = made.sandbox.wechatpay;
    writeFileSync(secretsFile, JSON.stringify({ ...made.sandbox, wechatpay: olderWechat }));
    const file = join(made.credentialsDir, 'wechatpay.json');
    const { appSecret: _c, miniProgramAppSecret: _d, oauthGateway: _o, apiGateway: _g, ...olderConfig } = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify(olderConfig));

    const upgraded = ensureDemoCredentials(old, 'http://127.0.0.1:8788');
    expect(upgraded.sandbox.wechatpay.apiV3Key).toBe(made.sandbox.wechatpay.apiV3Key);
    expect(upgraded.sandbox.wechatpay.appSecret).toMatch(/^[0-9a-f]{32}$/);
    const wechat = loadCredentials(made.credentialsDir).wechatpay!;
    expect([wechat.appSecret, wechat.miniProgramAppSecret]).toEqual([upgraded.sandbox.wechatpay.appSecret, upgraded.sandbox.wechatpay.miniProgramAppSecret]);
    expect(wechat.apiGateway).toBe('http://127.0.0.1:8788');
    expect(JSON.parse(readFileSync(secretsFile, 'utf8')).wechatpay.appSecret).toBe(upgraded.sandbox.wechatpay.appSecret);
  });

  it('reads a field from the environment with env:NAME', () => {
    const file = join(credentialsDir, 'alipay.json');
    const config = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...config, appPrivateKey: 'env:TEST_ALIPAY_KEY' }));
    const key = readFileSync(join(credentialsDir, 'alipay-app-private-key.pem'), 'utf8');
    expect(loadCredentials(credentialsDir, { TEST_ALIPAY_KEY: key }).alipay?.appId).toBe(config.appId);
    expect(() => loadCredentials(credentialsDir, {})).toThrow(/TEST_ALIPAY_KEY is not set/);
    writeFileSync(file, JSON.stringify(config));
  });

  it('refuses a malformed configuration with the field named', () => {
    const file = join(credentialsDir, 'wechatpay.json');
    const config = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...config, mchid: 'abc' }));
    expect(() => loadCredentials(credentialsDir)).toThrow(/wechatpay.json: mchid/);
    writeFileSync(file, JSON.stringify(config));
    writeFileSync(join(credentialsDir, 'wechatpay-apiv3.key'), 'short');
    expect(() => loadCredentials(credentialsDir)).toThrow(/32 characters/);
  });
});

describe('key formats', () => {
  it('opens a UnionPay-style .pfx', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cashier-pfx-'));
    const { sandbox, credentialsDir } = ensureDemoCredentials(dir, 'http://127.0.0.1:8788');
    const keyPem = readFileSync(join(credentialsDir, 'unionpay-sign-key.pem'), 'utf8');
    const forgeKey = forge.pki.privateKeyFromPem(privateKey(keyPem).export({ type: 'pkcs1', format: 'pem' }).toString());
    const forgeCert = forge.pki.certificateFromPem(sandbox.unionpay.merchantCertificate);
    const der = forge.asn1.toDer(forge.pkcs12.toPkcs12Asn1(forgeKey, [forgeCert], '000000', { algorithm: '3des' })).getBytes();
    const opened = fromPfx(Buffer.from(der, 'binary'), '000000');
    expect(new X509Certificate(opened.certificate).serialNumber).toBe(new X509Certificate(sandbox.unionpay.merchantCertificate).serialNumber);
    expect(() => fromPfx(Buffer.from(der, 'binary'), 'wrong')).toThrow();
  });

  it('reads bare base64 keys as Alipay\u2019s key tool writes them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cashier-bare-'));
    const { credentialsDir } = ensureDemoCredentials(dir, 'http://127.0.0.1:8788');
    const pemKey = privateKey(readFileSync(join(credentialsDir, 'alipay-app-private-key.pem'), 'utf8'));
    const bare = pemKey.export({ type: 'pkcs1', format: 'der' }).toString('base64');
    expect(privateKey(bare).export({ type: 'pkcs8', format: 'pem' })).toEqual(pemKey.export({ type: 'pkcs8', format: 'pem' }));
    const spki = createPublicKey(pemKey).export({ type: 'spki', format: 'der' }).toString('base64');
    expect(publicKey(spki).export({ type: 'spki', format: 'der' }).toString('base64')).toBe(spki);
  });
});
