// The QR chunk, loaded only when a QR code is needed: the encoder (the `qrcode` package is most of its weight) and
// the QR view. The encoder turns the text into one SVG path of dark modules, which the view draws: no markup from a
// library.

import { create } from 'qrcode';
import type { QrMatrix } from './types.ts';

export type { QrMatrix };
export { QrView } from './QrView.tsx';

export function encodeQr(text: string): QrMatrix {
  // Level M: codes on screens are not damaged, and a lower level keeps long URLs at a scannable module size.
  const { modules } = create(text, { errorCorrectionLevel: 'M' });
  const size = modules.size;
  let path = '';
  for (let y = 0; y < size; y++) {
    let x = 0;
    while (x < size) {
      if (!modules.get(y, x)) {
        x++;
        continue;
      }
      // One rectangle per run of dark modules in a row keeps the path short.
      let run = 1;
      while (x + run < size && modules.get(y, x + run)) run++;
      path += `M${x} ${y}h${run}v1h-${run}z`;
      x += run;
    }
  }
  return { size, path };
}
