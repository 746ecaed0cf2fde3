// What the widget tells the merchant's page, through `onEvent` and as DOM events (`cashier:<type>` on the host
// element, bubbling). Every event names the order; `succeeded` is sent only once the BFF has confirmed it.

export const EVENT_TYPES = ['ready', 'option-selected', 'pending', 'succeeded', 'failed', 'expired', 'cancelled'] as const;
export type CheckoutEventType = (typeof EVENT_TYPES)[number];

export interface CheckoutEvent {
  readonly type: CheckoutEventType;
  readonly orderId: string;
  readonly optionId?: string;
  readonly attemptId?: string;
  /** `failed`: the error code, where there is one. */
  readonly code?: string;
}
