// The TRANSACTION.SUCCESS notification WeChat POSTs to notify_url once an order is paid (channel-protocols.md §1.4):
// the transaction encrypted with the APIv3 key (AEAD_AES_256_GCM), the envelope signed afresh for every delivery,
// retried on WeChat's ladder until the merchant answers 200 or 204 (§1.5).

import { randomUUID } from 'node:crypto';
import { RULEBOOK } from '../../../shared/channels/index.ts';
import { randomNonce, unixSeconds } from '../../../bff/channels/crypto-util.ts';
import { aeadEncrypt, signResponse } from '../../../bff/channels/wechatpay/crypto.ts';
import type { Notification } from '../notifier.ts';
import type { SandboxOrder } from '../order-book.ts';
import { formatBeijingRfc3339 } from '../../../shared/channels/beijing-time.ts';
import type { WechatpayEnv } from './protocol.ts';
import { CHANNEL, transactionOf } from './transactions.ts';

const RULES = RULEBOOK.wechatpay.notification;
const LADDER = RULES.retryLadderSeconds === 'unknown' ? [] : RULES.retryLadderSeconds;
const DEADLINE_SECONDS = RULES.deadlineSeconds === 'unknown' ? 5 : RULES.deadlineSeconds;

/** The notification body: one event id for every retry of this event, as WeChat keeps it. */
export function successNotificationBody(env: WechatpayEnv, order: SandboxOrder): string {
  const associatedData = 'transaction';
  const nonce = randomNonce(12);
  const ciphertext = aeadEncrypt({
    key: env.secrets.apiV3Key,
    nonce,
    associatedData,
    plaintext: JSON.stringify(transactionOf(order)),
  });
  return JSON.stringify({
    id: randomUUID(),
    create_time: formatBeijingRfc3339(env.clock.now()),
    resource_type: 'encrypt-resource',
    event_type: 'TRANSACTION.SUCCESS',
    summary: '支付成功',
    resource: { original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', ciphertext, associated_data: associatedData, nonce },
  });
}

export function successNotification(env: WechatpayEnv, order: SandboxOrder): Notification {
  const body = successNotificationBody(env, order);
  return {
    channel: CHANNEL,
    orderKey: order.key,
    url: order.notifyUrl ?? '',
    build: () => {
      // A new timestamp and nonce, so a new signature, on every delivery (§1.2).
      const { timestamp, nonce, signature } = signResponse(env.platformPrivateKey, body, {
        timestamp: unixSeconds(env.clock.now().getTime()),
      });
      return {
        headers: {
          'Content-Type': 'application/json',
          'Wechatpay-Timestamp': timestamp,
          'Wechatpay-Nonce': nonce,
          'Wechatpay-Signature': signature,
          'Wechatpay-Serial': env.secrets.platformPublicKeyId,
        },
        body,
      };
    },
    ladder: LADDER,
    // The HTTP status decides; the body is ignored, so 200 with {"code":"FAIL"} still counts as received (§1.5).
    acknowledged: (status) => status === 200 || status === 204,
    timeoutSeconds: DEADLINE_SECONDS,
  };
}
