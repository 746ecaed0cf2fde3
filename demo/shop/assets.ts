// The shop's static files: its stylesheet and two small scripts, served from its own origin and allowed by the
// pages' CSP ('self' for the stylesheet, a nonce for the scripts). No inline handlers, no eval.

/**
 * The checkout page: mounts the widget (loaded from the cashier's origin by script tag) on the session the shop's
 * server opened, and on `succeeded` — sent only once the cashier has confirmed the payment — goes to the order page,
 * which shows what the shop's own records say.
 */
export const CHECKOUT_JS = `'use strict';
(function () {
  var el = document.getElementById('cashier');
  var nonce = document.currentScript && document.currentScript.nonce;
  window.shopEvents = [];
  window.Cashier.mount(el, {
    session: el.dataset.session,
    locale: el.dataset.locale,
    nonce: nonce || undefined,
    theme: { primary: '#22594e' },
    onEvent: function (event) {
      window.shopEvents.push(event.type);
      if (event.type === 'succeeded') location.assign('/orders/' + encodeURIComponent(el.dataset.order) + '?paid=1');
    },
  });
})();
`;

/**
 * The order page's live view: asks the shop's server for the order's news by revision (one request at a time, every
 * 1.5 s while the tab is visible, at once when it comes back) and swaps in the server-rendered part that changed.
 */
export const ORDER_JS = `'use strict';
(function () {
  var live = document.getElementById('live');
  var refund = document.getElementById('refund');
  if (!live) return;
  var timer;
  var busy = false;
  function schedule(ms) {
    clearTimeout(timer);
    if (document.visibilityState !== 'hidden') timer = setTimeout(check, ms);
  }
  function check() {
    if (busy) return;
    busy = true;
    fetch('/orders/' + encodeURIComponent(live.dataset.order) + '/live?revision=' + encodeURIComponent(live.dataset.revision), { headers: { accept: 'application/json' } })
      .then(function (response) { return response.status === 200 ? response.json() : null; })
      .then(function (news) {
        if (!news) return;
        live.innerHTML = news.html;
        live.dataset.revision = String(news.revision);
        if (refund) {
          refund.hidden = !news.refundable;
          var text = refund.querySelector('[data-testid="refundable"]');
          if (text && news.refundable) text.textContent = news.refundable;
        }
      })
      .catch(function () {})
      .then(function () { busy = false; schedule(1500); });
  }
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible') check(); else clearTimeout(timer);
  });
  schedule(1500);
})();
`;

export const SHOP_CSS = `
:root { --ink: #1d2129; --muted: #5c6470; --line: #e3e6ea; --accent: #2f7d6d; --accent-dark: #22594e; --bg: #f6f4ef; }
* { box-sizing: border-box; }
body { margin: 0; font-family: system-ui, -apple-system, 'PingFang SC', 'Microsoft YaHei', sans-serif; background: var(--bg); color: var(--ink); line-height: 1.5; }
a { color: #0b5c8c; }
header.top { background: #fff; border-bottom: 1px solid var(--line); }
.bar { max-width: 64rem; margin: 0 auto; padding: 0.6rem 1rem; display: flex; flex-wrap: wrap; gap: 0.5rem 1.25rem; align-items: center; }
.brand { display: inline-flex; gap: 0.4rem; align-items: center; font-weight: 650; color: var(--ink); text-decoration: none; font-size: 1.1rem; }
nav { display: flex; gap: 1rem; flex-wrap: wrap; }
nav a { color: var(--ink); text-decoration: none; padding: 0.2rem 0; border-bottom: 2px solid transparent; }
nav a[aria-current="page"] { border-color: var(--accent); }
.count { background: var(--accent); color: #fff; border-radius: 999px; padding: 0 0.45rem; font-size: 0.8rem; }
.langs { margin-left: auto; display: flex; gap: 0.5rem; }
.langs a[aria-current="true"] { font-weight: 650; color: var(--ink); text-decoration: none; }
main { max-width: 64rem; margin: 0 auto; padding: 1.25rem 1rem 2rem; }
h1 { font-size: 1.5rem; margin: 0.25rem 0 0.75rem; }
h2 { font-size: 1.1rem; margin: 0 0 0.5rem; }
.lead { color: var(--muted); margin-top: 0; }
.card { background: #fff; border-radius: 12px; padding: 1rem 1.25rem; margin-bottom: 1rem; box-shadow: 0 1px 2px #0000000f; }
.teas { list-style: none; margin: 0; padding: 0; display: grid; gap: 1rem; grid-template-columns: repeat(auto-fill, minmax(13rem, 1fr)); }
.tea { display: flex; flex-direction: column; }
.tea .leaf { width: 64px; height: 64px; }
.tea h2 { margin: 0.5rem 0 0; }
.note { color: var(--muted); margin: 0.1rem 0 0.5rem; font-size: 0.9rem; }
.price { font-size: 1.2rem; font-weight: 650; margin: auto 0 0.6rem; }
button, .button { font: inherit; padding: 0.5rem 1rem; border-radius: 8px; border: 1px solid #c9cdd4; background: #fff; color: var(--ink); cursor: pointer; text-decoration: none; display: inline-block; }
button.primary, .button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.primary:hover, .button.primary:hover { background: var(--accent-dark); }
button.large { font-size: 1.05rem; padding: 0.7rem 1.4rem; }
button.link { border: 0; background: none; color: #0b5c8c; text-decoration: underline; padding: 0.1rem; }
:focus-visible { outline: 3px solid #0b5c8c; outline-offset: 2px; }
.notice { background: #e8f4f0; border: 1px solid #9cc5b8; border-radius: 8px; padding: 0.5rem 0.75rem; }
.notice.alert { background: #fff1f0; border-color: #ffa39e; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.45rem 0.5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th.num, td.num { text-align: right; white-space: nowrap; }
tfoot th, tfoot td { border-bottom: 0; font-weight: 650; }
.total { font-size: 1.15rem; }
.cart input[type=number] { width: 4.5rem; font: inherit; padding: 0.25rem; }
.actions { text-align: right; margin: 0.75rem 0 0; }
.checkout-form { text-align: right; }
.checkout { display: grid; gap: 1rem; grid-template-columns: minmax(0, 1fr) minmax(0, 1.3fr); align-items: start; }
.order-grid { display: grid; gap: 1rem; grid-template-columns: minmax(0, 1fr) minmax(0, 1.6fr); align-items: start; }
@media (max-width: 720px) { .checkout, .order-grid { grid-template-columns: 1fr; } .langs { margin-left: 0; } .wide { display: none; } }
.badge { display: inline-block; border-radius: 999px; padding: 0.05rem 0.6rem; font-size: 0.85rem; background: #eef0f3; color: #3d434c; white-space: nowrap; }
.badge.succeeded, .badge.refund-succeeded { background: #e3f4ea; color: #166534; }
.badge.failed, .badge.refund-failed, .badge.closed { background: #fdecec; color: #a1262a; }
.badge.paying, .badge.refund-processing, .badge.refund-pending, .badge.refund-requested { background: #fff4e0; color: #8a5300; }
.status-line { display: flex; gap: 0.6rem; align-items: baseline; flex-wrap: wrap; }
.status-line p { margin: 0.25rem 0; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 0.75rem; margin: 0.75rem 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; }
.ok { color: #166534; font-size: 0.85rem; }
code { font-size: 0.82rem; overflow-wrap: anywhere; }
.scroll { overflow-x: auto; }
.refund-form label { display: inline-block; margin: 0.25rem 1rem 0.5rem 0; }
.refund-form input { font: inherit; padding: 0.3rem 0.4rem; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
footer { max-width: 64rem; margin: 0 auto; padding: 0 1rem 2rem; color: var(--muted); font-size: 0.85rem; }
.recon form label { display: inline-block; margin: 0.25rem 0.9rem 0.25rem 0; }
.recon table { font-size: 0.88rem; }
`;

/** The shop's mark: a cup of tea (the header's logo and the favicon). */
export const CUP = '<path d="M6 12h20v6a10 10 0 0 1-20 0z" fill="#2f7d6d"/><path d="M26 14h2a3 3 0 0 1 0 6h-2" fill="none" stroke="#2f7d6d" stroke-width="2"/><path d="M12 4c-2 3 2 4 0 7M18 4c-2 3 2 4 0 7" fill="none" stroke="#9cc5b8" stroke-width="1.5"/>';

export const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">${CUP}</svg>`;
