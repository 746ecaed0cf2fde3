import type { Option } from '../../../shared/schemas/index.ts';
import { channelView } from '../../channels/index.ts';
import type { Locale, Messages } from '../../i18n/index.ts';

export function channelName(option: Pick<Option, 'channel'>, locale: Locale): string {
  return channelView(option.channel).name[locale];
}

/** What the option is called in the list: the channel, or its installment provider for a plan. */
export function optionName(option: Option, locale: Locale): string {
  const view = channelView(option.channel);
  return option.installment && view.installmentName ? view.installmentName[locale] : view.name[locale];
}

/** One line on what happens when the option is chosen. */
export function actionHint(option: Option, t: Messages, locale: Locale): string {
  const hint = t.actionHint[option.action];
  return typeof hint === 'function' ? hint(channelName(option, locale)) : hint;
}
