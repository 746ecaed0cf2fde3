// The widget's root view: the order summary, the view for the current phase, and one polite status region that
// announces what changed (and the countdown at its thresholds). Focus moves to the new view's heading when the
// customer was working in the widget, and is never taken from the rest of the merchant's page.

import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';
import type { Locale, Messages } from '../i18n/index.ts';
import type { CheckoutModel, Phase } from '../model/CheckoutModel.ts';
import { Context, useView, type ViewContext } from './context.ts';
import { OptionsView } from './OptionsView.tsx';
import { ResultView } from './ResultView.tsx';
import { InAppView, LeavingView, ReturnView } from './ReturnView.tsx';
import { channelName } from './internal/names.ts';

export function Checkout(props: ViewContext) {
  return (
    <Context.Provider value={props}>
      <Frame />
    </Context.Provider>
  );
}

function Frame() {
  const { model, t, locale, money } = useView();
  const phase = model.phase.value;
  const order = model.session.value?.order;
  const root = useRef<HTMLElement>(null);
  const lastPhase = useRef<Phase>(phase);
  // Is the customer working in the widget? Set by their input inside it; cleared only when focus goes to another
  // part of the page (a control that is disabled or replaced drops focus to nowhere, which does not count).
  const engaged = useRef(false);
  const engage = () => {
    engaged.current = true;
  };
  const leave = (event: FocusEvent) => {
    const next = event.relatedTarget as Node | null;
    if (next && !root.current?.contains(next)) engaged.current = false;
  };

  useLayoutEffect(() => {
    if (lastPhase.current === phase) return;
    const from = lastPhase.current;
    lastPhase.current = phase;
    // choosing ⇄ starting keeps the form; anything else is a new view whose heading takes the focus.
    if (!engaged.current || (from === 'choosing' && phase === 'starting') || (from === 'starting' && phase === 'choosing')) return;
    root.current?.querySelector<HTMLElement>('[data-focus]')?.focus();
  }, [phase]);

  useEffect(() => {
    if (phase !== 'loading') model.shown();
  }, [phase]);

  return (
    <section
      class="cashier"
      ref={root}
      lang={locale}
      aria-label={t.region}
      data-phase={phase}
      onPointerDown={engage}
      onKeyDown={engage}
      onFocusIn={engage}
      onFocusOut={leave}
    >
      {order && (
        <header class="head">
          <p class="merchant">{t.payTo(order.merchantName)}</p>
          <p class="subject">{order.subject}</p>
          <p class="amount">
            <span class="amount-label">{t.amountDue} </span>
            {money(order.amount)}
          </p>
        </header>
      )}
      <Body phase={phase} />
      <p class="sr-only" role="status" data-part="status">
        {announcement(model, t, locale)}
      </p>
    </section>
  );
}

function Body({ phase }: { phase: Phase }) {
  const { t, model } = useView();
  // The QR view and the hand-off sheet come with their chunks, loaded before the phase changes to them.
  const View = model.chunkView.value;
  switch (phase) {
    case 'loading':
      return (
        <p class="muted">
          <span class="spinner" aria-hidden="true" /> {t.loading}
        </p>
      );
    case 'choosing':
    case 'starting':
      return <OptionsView />;
    case 'qr':
    case 'handoff':
      return View && <View />;
    case 'leaving':
      return <LeavingView />;
    case 'returned':
      return <ReturnView />;
    case 'in-app':
      return <InAppView />;
    default:
      return <ResultView />;
  }
}

/** What the status region says. It changes only when the phase does, or the countdown crosses a threshold. */
function announcement(model: CheckoutModel, t: Messages, locale: Locale): string {
  const announceAt = model.announceAt.value;
  const left = announceAt === null ? '' : ` ${announceAt >= 60 ? t.timeLeft(announceAt / 60, 0) : t.timeLeft(0, announceAt)}.`;
  switch (model.phase.value) {
    case 'starting':
      return t.starting;
    case 'qr':
      return `${model.notice.value === 'qr-renewed' ? t.qrRenewed : t.waiting}${left}`;
    case 'returned':
      return model.checking.value ? t.checking : model.notice.value === 'not-yet' ? t.notYet : t.returnedTitle;
    case 'in-app':
      return model.sheet.value === 'confirming' ? t.confirming : t.inApp(channelName(model.selected.value ?? { channel: 'wechatpay' }, locale));
    case 'succeeded':
      return t.succeededTitle;
    case 'expired':
      return t.expiredTitle;
    case 'closed':
      return t.closedTitle;
    case 'failed':
      return t.failedTitle;
    default:
      return '';
  }
}
