import { describe, expect, it } from 'vitest';
import { MAX_QUANTITY, parseCart, priceCart, serializeCart, withQuantity } from './catalog.ts';

describe('the cart cookie', () => {
  it('round-trips and keeps the order teas were added in', () => {
    const cart = withQuantity(withQuantity(new Map(), 'puer', 2), 'longjing', 1);
    expect(serializeCart(cart)).toBe('puer.2~longjing.1');
    expect([...parseCart('puer.2~longjing.1')]).toEqual([
      ['puer', 2],
      ['longjing', 1],
    ]);
  });

  it('drops what it cannot vouch for: unknown teas, bad or repeated quantities', () => {
    expect([...parseCart('oolong.1~longjing.0~puer.-1~tieguanyin.1.5~dahongpao.99~longjing.3~longjing.4~x')]).toEqual([['longjing', 3]]);
    expect([...parseCart(undefined)]).toEqual([]);
  });

  it('clamps quantities, removes at 0, ignores unknown teas', () => {
    const cart = withQuantity(new Map(), 'longjing', 500);
    expect(cart.get('longjing')).toBe(MAX_QUANTITY);
    expect(withQuantity(cart, 'longjing', 0).has('longjing')).toBe(false);
    expect(withQuantity(cart, 'coffee', 2).has('coffee')).toBe(false);
  });
});

describe('prices', () => {
  it('totals in integer fen from the catalogue, never from the cookie', () => {
    // 3 × ¥68.50 + 7 × ¥156.00 + 1 × ¥188.00 = 205.50 + 1,092.00 + 188.00
    const cart = priceCart(parseCart('tieguanyin.3~silver-needle.7~puer.1'));
    expect(cart.lines.map((line) => line.amount)).toEqual([20_550, 109_200, 18_800]);
    expect(cart.total).toBe(148_550);
    expect(cart.count).toBe(11);
  });
});
