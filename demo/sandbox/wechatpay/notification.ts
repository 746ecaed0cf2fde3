// The notifications WeChat POSTs to a notify_url (channel-protocols.md §1.4): TRANSACTION.SUCCESS once an order is
// paid and REFUND.SUCCESS / ABNORMAL / CLOSED once a refund ends, each resource encrypted with the APIv3 key
// (AEAD_AES_256_GCM), the envelope signed afresh for every delivery and retried on WeChat's ladder until the merchant
// answers 200 or 204 (§1.5). The order's fault script can have them forged, carry another amount, or be preceded by
// a WECHATPAY/SIGNTEST/ probe (§1.2).

import { randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { RULEBOOK } from '../../../shared/channels/index.ts';
import { randomNonce, unixSeconds } from '../../../bff/channels/crypto-util.ts';
import { aeadEncrypt, signResponse, SIGNTEST_PREFIX } from '../../../bff/channels/wechatpay/crypto.ts';
import type { Notification } from '../notifier.ts';
import type { SandboxOrder } from '../order-book.ts';
import { formatBeijingRfc3339 } from '../../../shared/channels/beijing-time.ts';
import type { WechatpayEnv } from './protocol.ts';
import type { SandboxRefund } from './refund-book.ts';
import { refundResource } from './refunds.ts';
import { CHANNEL, transactionOf } from './transactions.ts';

const RULES = RULEBOOK.wechatpay.notification;
const LADDER = RULES.retryLadderSeconds === 'unknown' ? [] : RULES.retryLadderSeconds;
const DEADLINE_SECONDS = RULES.deadlineSeconds === 'unknown' ? 5 : RULES.deadlineSeconds;

/** One event as WeChat describes it: the type, its summary, and the resource before encryption. */
export interface WechatEvent {
  readonly eventType: string;
  readonly summary: string;
  /** `transaction` or `refund`; also the resource's associated_data (§1.4). */
  readonly originalType: 'transaction' | 'refund';
  readonly resource: Readonly<Record<string, unknown>>;
}

/** The notification body: one event id for every delivery and retry of this event, as WeChat keeps it. */
export function notificationBody(env: WechatpayEnv, event: WechatEvent): string {
  const associatedData = event.originalType;
  const nonce = randomNonce(12);
  const ciphertext = aeadEncrypt({ key: env.secrets.apiV3Key, nonce, associatedData, plaintext: JSON.stringify(event.resource) });
  return JSON.stringify({
    id: randomUUID(),
    create_time: formatBeijingRfc3339(env.clock.now()),
    resource_type: 'encrypt-resource',
    event_type: event.eventType,
    summary: event.summary,
    resource: { original_type: event.originalType, algorithm: 'AEAD_AES_256_GCM', ciphertext, associated_data: associatedData, nonce },
  });
}

type Signer = { readonly key: KeyObject } | { readonly probe: true };

function delivery(env: WechatpayEnv, body: string, signer: Signer): { headers: Record<string, string>; body: string } {
  // A new timestamp and nonce, so a new signature, on every delivery (§1.2).
  const timestamp = unixSeconds(env.clock.now().getTime());
  const signed =
    'key' in signer
      ? signResponse(signer.key, body, { timestamp })
      : // What WeChat's probes carry: the prefix, then something that looks like a signature but is none.
        { timestamp, nonce: randomNonce(32), signature: `${SIGNTEST_PREFIX}${randomBytes(256).toString('base64')}` };
  return {
    headers: {
      'Content-Type': 'application/json',
      'Wechatpay-Timestamp': signed.timestamp,
      'Wechatpay-Nonce': signed.nonce,
      'Wechatpay-Signature': signed.signature,
      // Forgeries and probes claim the real key id: only the signature gives them away.
      'Wechatpay-Serial': env.secrets.platformPublicKeyId,
    },
    body,
  };
}

/**
 * The event as the notifier sends it. With the `probe` fault the first delivery is a signature probe: a merchant
 * that rightly refuses it gets the real notification on WeChat's next retry, one that accepts it never does.
 */
export function eventNotification(env: WechatpayEnv, orderKey: string, url: string, event: WechatEvent): Notification {
  const body = notificationBody(env, event);
  let probeFirst = env.faults.for(CHANNEL, orderKey).probe === true;
  return {
    channel: CHANNEL,
    orderKey,
    url,
    build: () => {
      if (probeFirst) {
        probeFirst = false;
        return delivery(env, body, { probe: true });
      }
      return delivery(env, body, { key: env.platformPrivateKey });
    },
    // The same body signed with a key that is not WeChat's, under WeChat's key id (the `forgeSignature` fault).
    forged: () => delivery(env, body, { key: env.forgeryKey() }),
    ladder: LADDER,
    // The HTTP status decides; the body is ignored, so 200 with {"code":"FAIL"} still counts as received (§1.5).
    acknowledged: (status) => status === 200 || status === 204,
    timeoutSeconds: DEADLINE_SECONDS,
  };
}

/** TRANSACTION.SUCCESS for a paid order; `changeAmount` makes it state another amount, correctly signed. */
export function successNotification(env: WechatpayEnv, order: SandboxOrder): Notification {
  const reported = env.faults.for(CHANNEL, order.key).changeAmount ?? order.amount;
  return eventNotification(env, order.key, order.notifyUrl ?? '', {
    eventType: 'TRANSACTION.SUCCESS',
    summary: '支付成功',
    originalType: 'transaction',
    resource: transactionOf(order, reported),
  });
}

const REFUND_EVENTS = {
  SUCCESS: { eventType: 'REFUND.SUCCESS', summary: '退款成功' },
  ABNORMAL: { eventType: 'REFUND.ABNORMAL', summary: '退款异常' },
  CLOSED: { eventType: 'REFUND.CLOSED', summary: '退款关闭' },
} as const;

/**
 * REFUND.* for a refund that ended, to the refund's own notify_url (§1.8); `changeAmount` of the payment's order
 * makes it state that refund amount instead.
 */
export function refundNotification(env: WechatpayEnv, order: SandboxOrder, refund: SandboxRefund & { status: keyof typeof REFUND_EVENTS }): Notification {
  const reported = env.faults.for(CHANNEL, order.key).changeAmount ?? refund.amount;
  return eventNotification(env, order.key, refund.notifyUrl ?? '', {
    ...REFUND_EVENTS[refund.status],
    originalType: 'refund',
    resource: refundResource(order, refund, reported),
  });
}
