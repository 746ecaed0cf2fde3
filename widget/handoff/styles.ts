// The hand-off sheet's styles, added to the widget's shadow root when the sheet first shows (mount.tsx addStyles),
// with the QR code's own (the QR view's chunk may not have been loaded).

import { QR_CSS } from '../qr/styles.ts';

export const CSS = `${QR_CSS}
.handoff h3{font-size:15px;margin:0 0 8px}
.handoff .way{border-top:1px solid var(--cashier-border);padding:12px 0 4px;margin-top:12px}
.handoff .open{display:flex;gap:12px;align-items:center}
.handoff ol{margin:0;padding-left:20px}
.handoff ol li{margin:4px 0}
.handoff a.primary{display:block;text-align:center;text-decoration:none;padding:11px 16px;border-radius:var(--cashier-radius);min-height:44px}
.handoff .copy{display:flex;gap:8px;align-items:stretch}
.handoff .copy input{flex:1;min-width:0;font:13px/1.4 ui-monospace,monospace;padding:8px;border:1px solid var(--cashier-border);
border-radius:var(--cashier-radius);color:var(--cashier-text);background:var(--cashier-surface)}
.handoff .copy .secondary{width:auto;margin:0;flex:none}
.handoff .qr{margin:4px auto}
.hint{flex:none;width:96px;height:160px}
.hint .body{fill:#fff;stroke:var(--cashier-text);stroke-width:2}
.hint .ink{fill:var(--cashier-text)}
.hint .bar{fill:#ededed}
.hint .line,.hint .tile{fill:#c9cdd4}
.hint .dim{fill:#000;opacity:.16}
.hint .sheet{fill:#f7f8fa}
.hint .ring,.hint .arrow{fill:none;stroke:var(--cashier-primary);stroke-width:2.5;stroke-linecap:round;stroke-linejoin:round}
.hint .pick{fill:#fff;stroke:var(--cashier-primary);stroke-width:2}
.hint .icon{fill:none;stroke:var(--cashier-primary);stroke-width:1.6}
.hint .label{font:600 8px system-ui,sans-serif;fill:var(--cashier-text);text-anchor:middle}
`;
