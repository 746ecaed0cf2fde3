// How the order ended, as the BFF said: paid, expired, closed, failed; or the session could not be loaded.

import { errorText } from '../i18n/index.ts';
import { useView } from './context.ts';

export function ResultView() {
  const { model, t, money } = useView();
  const phase = model.phase.value;
  const order = model.session.value?.order;
  if (phase === 'succeeded') {
    // What the merchant received: the order's amount (an installment fee the buyer bears goes to the lender).
    const amount = money(order?.amount ?? 0);
    return (
      <div class="result succeeded" data-part="result" data-result="succeeded">
        <h2 tabIndex={-1} data-focus>
          <Tick /> {t.succeededTitle}
        </h2>
        {order && <p>{t.succeeded(amount, order.merchantName)}</p>}
      </div>
    );
  }
  if (phase === 'error') {
    return (
      <div class="result failed" data-part="result" data-result="error">
        <h2 tabIndex={-1} data-focus>
          {t.errorTitle}
        </h2>
        <p role="alert">{errorText(t, model.error.value ?? 'other')}</p>
        <button type="button" class="primary" onClick={() => void model.load()}>
          {t.tryAgain}
        </button>
      </div>
    );
  }
  const title = phase === 'failed' ? t.failedTitle : phase === 'closed' ? t.closedTitle : t.expiredTitle;
  const text = phase === 'failed' ? t.orderFailed : phase === 'closed' ? t.closed : t.expired;
  return (
    <div class={`result ${phase}`} data-part="result" data-result={phase}>
      <h2 tabIndex={-1} data-focus>
        {title}
      </h2>
      <p>{text}</p>
    </div>
  );
}

function Tick() {
  return (
    <svg width="24" height="24" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <circle cx="12" cy="12" r="12" fill="currentColor" />
      <path d="M6.5 12.5l3.5 3.5 7.5-8" fill="none" stroke="#fff" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round" />
    </svg>
  );
}
