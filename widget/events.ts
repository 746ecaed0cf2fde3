// What the widget tells the merchant's page, through `onEvent` and as DOM events (`cashier:<type>` on the host
// element, bubbling). Every event names the order; `succeeded` is sent only once the BFF has confirmed it, whatever
// a pay sheet said: WeChat's get_brand_wcpay_request:ok (or Alipay's 9000, the app SDK's success) is no event of its
// own; its :cancel is `cancelled`, its :fail is `failed` with the sheet's words as the code.

export const EVENT_TYPES = ['ready', 'option-selected', 'pending', 'succeeded', 'failed', 'expired', 'cancelled'] as const;
export type CheckoutEventType = (typeof EVENT_TYPES)[number];

export interface CheckoutEvent {
  readonly type: CheckoutEventType;
  readonly orderId: string;
  readonly optionId?: string;
  readonly attemptId?: string;
  /**
   * `failed`: the error code, where there is one: the BFF's, the widget's (`bridge_unavailable`…), or the host's word
   * for a failed sheet (`get_brand_wcpay_request:fail`, `tradePay:4000`, `app:fail`).
   */
  readonly code?: string;
}
