import { describe, expect, it } from 'vitest';
import { newChannelOrderNumber } from '../../../shared/channels/index.ts';
import { formatBeijingStamp, parseBeijingStamp } from '../../../shared/channels/beijing-time.ts';
import { paidAtOf, parseAnswer, reqReservedOf, txnTimeFromOrderNumber } from './wire.ts';

describe('parseAnswer (raw k=v&… synchronous answers)', () => {
  it('keeps values as sent: "+", "/", "=" and CRLF are data, nothing is URL-decoded', () => {
    const cert = '-----BEGIN CERTIFICATE-----\r\nMIIE+a/b==\r\n-----END CERTIFICATE-----';
    expect(parseAnswer(`respCode=00&signPubKeyCert=${cert}&tn=123&respMsg=成功[0000000]&x=a%2Bb`)).toEqual({
      respCode: '00',
      signPubKeyCert: cert,
      tn: '123',
      respMsg: '成功[0000000]',
      x: 'a%2Bb',
    });
  });

  it('does not split inside {…}; empty pairs and pairs without "=" are dropped; the last of a repeated key wins', () => {
    expect(parseAnswer('a=1&&reserved={k=v&k2=v2}&b&c=&a=2')).toEqual({ a: '2', reserved: '{k=v&k2=v2}', c: '' });
    expect(Object.getPrototypeOf(parseAnswer('__proto__=x'))).toBe(Object.prototype);
    expect(parseAnswer('__proto__=x')).toEqual({ ['__proto__']: 'x' });
  });
});

describe('Beijing stamps', () => {
  it('writes Beijing wall-clock time, dropping (never rounding) milliseconds', () => {
    expect(formatBeijingStamp(new Date('2026-05-01T15:59:59.999Z'))).toBe('20260501235959');
    expect(formatBeijingStamp(new Date('2026-12-31T16:00:00.000Z'))).toBe('20270101000000');
  });

  it('reads only real calendar seconds', () => {
    expect(parseBeijingStamp('20260501120007')?.toISOString()).toBe('2026-05-01T04:00:07.000Z');
    expect(parseBeijingStamp('20260231120000')).toBeUndefined();
    expect(parseBeijingStamp('20260501240000')).toBeUndefined();
    expect(parseBeijingStamp('2026050112000')).toBeUndefined();
  });
});

describe('txnTimeFromOrderNumber', () => {
  it('is the Beijing time our order numbers start with', () => {
    const number = newChannelOrderNumber(['unionpay'], new Date('2026-12-31T15:59:58.700Z'));
    expect(txnTimeFromOrderNumber(number)).toBe('20261231235958');
  });

  it('is undefined for numbers that do not start with a real yyMMddHHmmss', () => {
    expect(txnTimeFromOrderNumber('ABCDEFGH12345678')).toBeUndefined();
    expect(txnTimeFromOrderNumber('261331120000AAAA')).toBeUndefined();
    expect(txnTimeFromOrderNumber('2605011200')).toBeUndefined();
  });
});

describe('paidAtOf', () => {
  it('traceTime (MMDDhhmmss) in Beijing with the year of txnTime, the next year across New Year', () => {
    expect(paidAtOf({ txnTime: '20220908132206', traceTime: '0908132210' })?.toISOString()).toBe('2022-09-08T05:22:10.000Z');
    expect(paidAtOf({ txnTime: '20261231235959', traceTime: '0101000005' })?.toISOString()).toBe('2026-12-31T16:00:05.000Z');
  });

  it('txnTime alone without a usable traceTime; nothing without a txnTime', () => {
    expect(paidAtOf({ txnTime: '20220908132206' })?.toISOString()).toBe('2022-09-08T05:22:06.000Z');
    expect(paidAtOf({ txnTime: '20220908132206', traceTime: '09081322' })?.toISOString()).toBe('2022-09-08T05:22:06.000Z');
    expect(paidAtOf({ traceTime: '0908132206' })).toBeUndefined();
  });
});

describe('reqReservedOf', () => {
  it('replaces the characters UnionPay warns about with full-width ones; empty is absent', () => {
    expect(reqReservedOf(`a&b=c{d}[e]"f'g`)).toBe('a＆b＝c｛d｝［e］＂f＇g');
    expect(reqReservedOf('cart-42 中文|x')).toBe('cart-42 中文|x');
    expect(reqReservedOf('')).toBeUndefined();
    expect(reqReservedOf(undefined)).toBeUndefined();
  });
});
