// The hand-off sheet, a chunk of its own: inside WeChat or the Alipay client a channel they block (Alipay or
// UnionPay inside WeChat, WeChat Pay inside Alipay) continues at the BFF's hand-off page (/checkout?session=…), the
// same order with a fresh session, in one of three ways: open it in the phone's browser (the host cannot do that for
// a page: the customer taps ··· and "Open in Safari/Browser", shown in a picture), copy the link, or scan a QR code
// with another device. Meanwhile the model watches the order, so paying elsewhere ends the checkout here too.

import type { Signal } from '@preact/signals';
import { BrandMark, channelName, signal, useRef, useView } from '../in-app/runtime.ts';
import { Hint } from './Hint.tsx';
import { STRINGS, type MenuLabel } from './strings.ts';
import { CSS } from './styles.ts';

const QUIET_ZONE = 4;

export function HandoffSheet() {
  const { model, t, locale, uid, addStyles } = useView();
  addStyles(CSS);
  const local = useRef<{ copied: Signal<'no' | 'yes' | 'failed'> } | undefined>(undefined);
  local.current ??= { copied: signal('no') };
  const copied = local.current.copied;
  const field = useRef<HTMLInputElement>(null);
  const action = model.action.value;
  const terminal = model.session.value?.terminal;
  if (action?.kind !== 'handoff') return null;

  const s = STRINGS[locale];
  const name = channelName(action, locale);
  const host = terminal?.host === 'wechat' || terminal?.host === 'alipay' ? s.hosts[terminal.host] : s.hosts.other;
  const kind: MenuLabel = terminal?.device === 'desktop' ? 'desktop' : terminal?.os === 'ios' && terminal.host === 'wechat' ? 'safari' : 'browser';
  // On the hand-off page itself there is nothing to continue to: this page is the one to open in the browser.
  const here = model.isThisPage(action.url);
  const matrix = model.qr.value;
  const view = matrix ? matrix.size + QUIET_ZONE * 2 : 0;

  const copy = async () => {
    const input = field.current;
    let done = false;
    try {
      await input?.ownerDocument.defaultView?.navigator.clipboard.writeText(action.url);
      done = input !== null;
    } catch {
      // Older web views have no async clipboard (or refuse it): copy the selected field instead.
      input?.select();
      done = input?.ownerDocument.execCommand('copy') ?? false;
    }
    copied.value = done ? 'yes' : 'failed';
  };

  return (
    <div class="handoff" data-part="handoff" data-channel={action.channel}>
      <h2 tabIndex={-1} data-focus>
        <BrandMark channel={action.channel} />
        {s.title(name)}
      </h2>
      <p class="muted">{s.why(name, host)}</p>
      <section class="way" aria-labelledby={`${uid}-open`}>
        <h3 id={`${uid}-open`}>{s.openTitle}</h3>
        <div class="open">
          {kind !== 'desktop' && <Hint kind={kind} tile={s.tile[kind]} label={s.hintLabel(s.menu[kind])} />}
          <ol>
            {!here && <li>{s.continueStep}</li>}
            <li>{s.menuStep}</li>
            <li>{s.openStep(s.menu[kind])}</li>
          </ol>
        </div>
        {!here && (
          <a class="primary" href={action.url} data-part="handoff-continue">
            {s.continue}
          </a>
        )}
      </section>
      <section class="way" aria-labelledby={`${uid}-copy`}>
        <h3 id={`${uid}-copy`}>{s.copyTitle}</h3>
        <div class="copy">
          <input ref={field} readOnly value={action.url} aria-label={s.linkLabel} onFocus={() => field.current?.select()} data-part="handoff-link" />
          <button type="button" class="secondary" onClick={() => void copy()}>
            {s.copy}
          </button>
        </div>
        <p class="muted" role="status" data-part="copied">
          {copied.value === 'yes' ? s.copied : copied.value === 'failed' ? s.copyFailed : ''}
        </p>
      </section>
      <section class="way" aria-labelledby={`${uid}-qr`}>
        <h3 id={`${uid}-qr`}>{s.qrTitle}</h3>
        <div class="qr" data-part="qr" data-ready={matrix ? 'true' : 'false'}>
          {matrix ? (
            <svg viewBox={`${-QUIET_ZONE} ${-QUIET_ZONE} ${view} ${view}`} role="img" aria-label={s.qrLabel(name)} shape-rendering="crispEdges">
              <rect x={-QUIET_ZONE} y={-QUIET_ZONE} width={view} height={view} fill="#fff" />
              <path d={matrix.path} fill="#000" />
            </svg>
          ) : (
            <span class="placeholder">
              <span class="spinner" aria-hidden="true" />
            </span>
          )}
        </div>
      </section>
      <button type="button" class="link" onClick={() => model.back()}>
        {t.chooseAnother}
      </button>
    </div>
  );
}
