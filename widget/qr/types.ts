import type { FunctionComponent } from 'preact';

/** A QR code as an SVG path over a square of `size` modules (quiet zone excluded). */
export interface QrMatrix {
  readonly size: number;
  readonly path: string;
}

/** The lazily loaded QR chunk's interface (qr/index.ts). */
export interface QrModule {
  encodeQr(text: string): QrMatrix;
  /** The view of the `qr` phase. */
  readonly QrView: FunctionComponent;
}
