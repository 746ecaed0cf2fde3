// A QR code to scan with the phone, with the amount, the brand, a countdown by the server's clock and the live
// status; in the QR chunk with the encoder, since it is shown only with a code. The code is drawn from the
// encoder's path (no markup from a library); a renewed code replaces it in place. "Pay on this device instead"
// appears where the channel has a product for this device.

import { BrandMark, channelName, errorText, useView } from '../in-app/runtime.ts';
import { Countdown } from './Countdown.tsx';
import { CSS } from './styles.ts';

const QUIET_ZONE = 4;

export function QrView() {
  const { model, t, locale, money, addStyles } = useView();
  addStyles(CSS);
  const option = model.selected.value;
  const order = model.session.value?.order;
  const matrix = model.qr.value;
  const payHere = model.payHereOption.value;
  if (!option || !order) return null;
  const name = channelName(option, locale);
  const amount = money(option.installment?.total ?? order.amount);
  const view = matrix ? matrix.size + QUIET_ZONE * 2 : 0;
  return (
    <div class="qr-view" data-part="qr-view" data-option={option.id}>
      <h2 tabIndex={-1} data-focus>
        <BrandMark channel={option.channel} />
        {t.scanWith(name)}
      </h2>
      <div class="qr" data-part="qr" data-ready={matrix ? 'true' : 'false'}>
        {matrix ? (
          <svg viewBox={`${-QUIET_ZONE} ${-QUIET_ZONE} ${view} ${view}`} role="img" aria-label={t.qrLabel(name, amount)} shape-rendering="crispEdges">
            <rect x={-QUIET_ZONE} y={-QUIET_ZONE} width={view} height={view} fill="#fff" />
            <path d={matrix.path} fill="#000" />
          </svg>
        ) : (
          <span class="placeholder">
            <span class="spinner" aria-hidden="true" />
            <span class="sr-only">{t.qrLoading}</span>
          </span>
        )}
      </div>
      <Countdown />
      <p class="muted">
        <span class="spinner" aria-hidden="true" /> {t.waiting}
      </p>
      {model.notice.value === 'qr-renewed' && <p class="notice">{t.qrRenewed}</p>}
      {model.error.value && (
        <p class="alert" role="alert">
          {errorText(t, model.error.value)}
        </p>
      )}
      {payHere && (
        <button type="button" class="link" onClick={() => void model.pay(payHere.id)}>
          {t.payOnThisDevice}
        </button>
      )}
      <button type="button" class="link" onClick={() => model.back()}>
        {t.chooseAnother}
      </button>
    </div>
  );
}
