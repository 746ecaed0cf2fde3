import { create } from 'qrcode';
import { describe, expect, it } from 'vitest';
import { encodeQr } from './index.ts';

describe('the QR encoder', () => {
  it('draws exactly the dark modules of the code, one rectangle per run', () => {
    const text = 'http://127.0.0.1:8788/pay/wechatpay/bizpayurl?pr=Zx81jkA0';
    const { size, path } = encodeQr(text);
    const { modules } = create(text, { errorCorrectionLevel: 'M' });
    expect(size).toBe(modules.size);
    const drawn = new Set<string>();
    for (const match of path.matchAll(/M(\d+) (\d+)h(\d+)v1h-\3z/g)) {
      const [x, y, run] = [Number(match[1]), Number(match[2]), Number(match[3])];
      for (let i = 0; i < run; i++) drawn.add(`${x + i},${y}`);
    }
    expect(path.replace(/M\d+ \d+h\d+v1h-\d+z/g, '')).toBe('');
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) expect(drawn.has(`${x},${y}`)).toBe(Boolean(modules.get(y, x)));
  });
});
