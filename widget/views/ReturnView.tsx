// Back from the channel's page (or on the way there, or in the host's own pay sheet). Coming back says nothing about
// the result, so the widget has already asked the BFF to query the channel; the customer can ask again ("I have
// paid") or go back to the options ("I had a problem"). Success comes only from the BFF.

import { useView } from './context.ts';
import { BrandMark } from './internal/BrandMark.tsx';
import { channelName } from './internal/names.ts';

export function LeavingView() {
  const { model, t, locale } = useView();
  const option = model.selected.value;
  if (!option) return null;
  return (
    <div class="result" data-part="leaving">
      <h2 tabIndex={-1} data-focus>
        <BrandMark channel={option.channel} />
        {t.leaving(channelName(option, locale))}
      </h2>
      <span class="spinner" aria-hidden="true" />
    </div>
  );
}

/** The host's pay sheet is open (or the mini-program's pay page), then: it said paid, the BFF is confirming. */
export function InAppView() {
  const { model, t, locale } = useView();
  const option = model.selected.value;
  if (!option) return null;
  const confirming = model.sheet.value === 'confirming';
  return (
    <div class="result" data-part="in-app" data-state={model.sheet.value}>
      <h2 tabIndex={-1} data-focus>
        <BrandMark channel={option.channel} />
        {confirming ? t.confirming : t.inApp(channelName(option, locale))}
      </h2>
      <span class="spinner" aria-hidden="true" />
      <button type="button" class="link" onClick={() => model.back()}>
        {t.chooseAnother}
      </button>
    </div>
  );
}

export function ReturnView() {
  const { model, t } = useView();
  const option = model.selected.value;
  const checking = model.checking.value;
  return (
    <div data-part="returned">
      <h2 tabIndex={-1} data-focus>
        {option && <BrandMark channel={option.channel} />}
        {t.returnedTitle}
      </h2>
      <p class="muted" data-part="return-status">
        {checking ? (
          <>
            <span class="spinner" aria-hidden="true" /> {t.checking}
          </>
        ) : model.notice.value === 'not-yet' ? (
          t.notYet
        ) : (
          t.waiting
        )}
      </p>
      <button type="button" class="primary" disabled={checking} onClick={() => void model.iHavePaid()}>
        {t.iHavePaid}
      </button>
      <button type="button" class="secondary" onClick={() => model.back()}>
        {t.iHadProblem}
      </button>
    </div>
  );
}
