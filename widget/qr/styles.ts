// The QR code's styles, with the QR view in its chunk: added to the widget's shadow root when a code is first shown
// (mount.tsx addStyles). The hand-off sheet draws its QR code with the same rules (widget/handoff/styles.ts).

export const QR_CSS = `
.qr-view{text-align:center}
.qr-view h2{justify-content:center}
.qr{margin:8px auto;width:220px;max-width:100%;aspect-ratio:1;background:#fff;padding:0;border:1px solid var(--cashier-border);border-radius:8px}
.qr svg{display:block;width:100%;height:100%}
.qr .placeholder{display:flex;align-items:center;justify-content:center;height:100%;color:var(--cashier-muted);font-size:13px}
`;

export const CSS = `${QR_CSS}
.countdown{font-variant-numeric:tabular-nums;margin:4px 0}
.countdown strong{font-size:17px}
`;
