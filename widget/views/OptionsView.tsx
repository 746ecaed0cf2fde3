// The options for this terminal as the BFF returned them (recommended first), installment plans beside the
// wallets with per-period amount, fee and who pays it, and one Pay button. Native radios: arrow keys and
// screen readers work without help.

import type { Option } from '../../shared/schemas/index.ts';
import { channelView } from '../channels/index.ts';
import { errorText } from '../i18n/index.ts';
import { useView } from './context.ts';
import { BrandMark } from './internal/BrandMark.tsx';
import { actionHint, optionName } from './internal/names.ts';

export function OptionsView() {
  const { model, t, uid, money } = useView();
  const options = model.options.value;
  const selected = model.selected.value;
  const starting = model.phase.value === 'starting';
  const error = model.error.value;
  const order = model.session.value?.order;
  if (!order) return null;

  const onSubmit = (event: Event) => {
    event.preventDefault();
    void model.pay();
  };

  if (options.length === 0) {
    return (
      <div data-part="options" data-empty="true">
        <p>{t.noOptions}</p>
        <Unavailable />
      </div>
    );
  }

  const total = selected?.installment?.total ?? order.amount;
  return (
    <form data-part="options" onSubmit={onSubmit} noValidate>
      <fieldset disabled={starting}>
        <legend>
          <h2 tabIndex={-1} data-focus>
            {t.chooseMethod}
          </h2>
        </legend>
        <ul>
          {options.map((option) => (
            <OptionItem key={option.id} option={option} name={`cashier-option-${uid}`} checked={option.id === selected?.id} />
          ))}
        </ul>
      </fieldset>
      <Unavailable />
      {model.notice.value === 'attempt-failed' && (
        <p class="alert" role="alert">
          <strong>{t.failedTitle}.</strong> {t.failed}
        </p>
      )}
      {error && (
        <p class="alert" role="alert" data-part="error" data-code={error}>
          {errorText(t, error)}
        </p>
      )}
      <button type="submit" class="primary" disabled={starting || !selected}>
        {starting ? <span class="spinner" aria-hidden="true" /> : null} {starting ? t.starting : t.pay(money(total))}
      </button>
    </form>
  );
}

function OptionItem({ option, name, checked }: { option: Option; name: string; checked: boolean }) {
  const { model, t, locale, uid, money } = useView();
  const id = `cashier-${uid}-${option.id.replace(/[^\w-]/g, '_')}`;
  const plan = option.installment;
  return (
    <li>
      <label class={`option${checked ? ' selected' : ''}`} for={id} data-option={option.id}>
        <input type="radio" id={id} name={name} value={option.id} checked={checked} onChange={() => model.select(option.id)} />
        <BrandMark channel={option.channel} />
        <span class="text">
          <span class="line">
            <span class="name">{optionName(option, locale)}</span>
            {option.recommended && <span class="badge">{t.recommended}</span>}
          </span>
          {plan ? (
            <>
              <span class="line">
                <span class="per-period">{t.installments(money(plan.perPeriod), plan.periods)}</span>
                {plan.schedule[0] && plan.schedule[0].principal + plan.schedule[0].fee !== plan.perPeriod && (
                  <span class="detail">{t.firstPeriod(money(plan.schedule[0].principal + plan.schedule[0].fee))}</span>
                )}
              </span>
              <span class="detail">
                {plan.interestFree || plan.feeBearer === 'merchant' ? t.interestFree : t.feeByBuyer(money(plan.fee), money(plan.total))}
              </span>
            </>
          ) : (
            <span class="hint">{actionHint(option, t, locale)}</span>
          )}
        </span>
      </label>
    </li>
  );
}

/** Why an enabled channel is missing, where knowing helps the customer (it is not available here, or right now). */
function Unavailable() {
  const { model, t, locale } = useView();
  const items = model.unavailable.value;
  if (items.length === 0) return null;
  return (
    <ul class="unavailable" data-part="unavailable">
      {items.map((item) => {
        const view = channelView(item.channel);
        const name = item.installment && view.installmentName ? view.installmentName[locale] : view.name[locale];
        const text = t.unavailable[item.reason as keyof typeof t.unavailable];
        return text ? <li key={`${item.channel}:${item.installment ?? ''}`}>{text(name)}</li> : null;
      })}
    </ul>
  );
}
