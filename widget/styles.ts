// The widget's stylesheet, applied inside its shadow root (a constructable stylesheet, or a <style> carrying the
// page's CSP nonce). Themed through `--cashier-*` custom properties, which the merchant sets on the host element
// (page CSS wins over :host) or through the theme object. Default colours meet WCAG AA contrast on white.

export const THEME_PROPERTIES = {
  primary: '--cashier-primary',
  primaryText: '--cashier-primary-text',
  text: '--cashier-text',
  muted: '--cashier-muted',
  background: '--cashier-background',
  surface: '--cashier-surface',
  border: '--cashier-border',
  danger: '--cashier-danger',
  success: '--cashier-success',
  radius: '--cashier-radius',
  font: '--cashier-font',
} as const;

export type Theme = Partial<Record<keyof typeof THEME_PROPERTIES, string>>;

export const CSS = `
:host{display:block;--cashier-primary:#0b57d0;--cashier-primary-text:#fff;--cashier-text:#1d2129;--cashier-muted:#4e5969;
--cashier-background:#fff;--cashier-surface:#f2f5fa;--cashier-border:#c9cdd4;--cashier-danger:#b42318;--cashier-success:#0a7a3e;
--cashier-radius:10px;--cashier-font:system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif}
:host([hidden]){display:none}
*{box-sizing:border-box}
.cashier{font:15px/1.45 var(--cashier-font);color:var(--cashier-text);background:var(--cashier-background);
border:1px solid var(--cashier-border);border-radius:var(--cashier-radius);padding:16px;max-width:480px;margin:0 auto}
.head{border-bottom:1px solid var(--cashier-border);padding-bottom:12px;margin-bottom:12px}
.head p{margin:0}
.merchant{font-weight:600}
.subject,.muted,.hint,.detail{color:var(--cashier-muted)}
.amount{font-size:28px;font-weight:700;margin-top:4px!important;font-variant-numeric:tabular-nums}
.amount-label{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
h2{font-size:17px;margin:0 0 12px;display:flex;align-items:center;gap:8px}
h2:focus{outline:none}
h2:focus-visible{outline:2px solid var(--cashier-primary);outline-offset:2px}
fieldset{border:0;margin:0;padding:0;min-width:0}
legend{font-weight:600;padding:0;margin-bottom:8px}
ul{list-style:none;margin:0;padding:0}
.option{display:grid;grid-template-columns:auto auto 1fr;gap:2px 10px;align-items:center;padding:10px 12px;margin-bottom:8px;
border:1px solid var(--cashier-border);border-radius:var(--cashier-radius);cursor:pointer}
.option.selected{border-color:var(--cashier-primary);background:var(--cashier-surface);box-shadow:inset 0 0 0 1px var(--cashier-primary)}
.option input{margin:0;accent-color:var(--cashier-primary);width:18px;height:18px}
.option .text{display:flex;flex-direction:column;min-width:0}
.option .line{display:flex;flex-wrap:wrap;gap:6px;align-items:baseline}
.name{font-weight:600}
.badge{font-size:12px;font-weight:600;color:var(--cashier-primary);border:1px solid currentColor;border-radius:999px;padding:0 7px}
.hint,.detail{font-size:13px}
.per-period{font-weight:600;font-variant-numeric:tabular-nums}
.mark{flex:none;display:block}
.unavailable{font-size:13px;color:var(--cashier-muted);margin:4px 0 0;padding:0}
.unavailable li{margin:2px 0}
button{font:inherit;cursor:pointer;border-radius:var(--cashier-radius);padding:11px 16px;min-height:44px}
button:focus-visible,.option:focus-within,a:focus-visible{outline:2px solid var(--cashier-primary);outline-offset:2px}
button:disabled{cursor:default;opacity:.7}
.primary{width:100%;margin-top:8px;border:0;background:var(--cashier-primary);color:var(--cashier-primary-text);font-weight:600}
.secondary{width:100%;margin-top:8px;border:1px solid var(--cashier-border);background:var(--cashier-background);color:var(--cashier-text)}
.link{border:0;background:none;color:var(--cashier-primary);text-decoration:underline;padding:8px 0;min-height:0;display:block;margin:4px auto 0}
.alert{color:var(--cashier-danger);margin:8px 0 0}
.notice{margin:8px 0 0}
.result{text-align:center;padding:8px 0}
.result h2{justify-content:center;font-size:20px}
.result.succeeded h2{color:var(--cashier-success)}
.result.failed h2,.result.expired h2,.result.closed h2{color:var(--cashier-danger)}
.spinner{width:20px;height:20px;border:3px solid var(--cashier-border);border-top-color:var(--cashier-primary);border-radius:50%;
animation:cashier-spin 1s linear infinite;display:inline-block;vertical-align:middle}
@keyframes cashier-spin{to{transform:rotate(1turn)}}
@media (prefers-reduced-motion:reduce){.spinner{animation:none}}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;margin:-1px;padding:0;border:0}
`;
