// The demo merchant app's injected user script (widget/app-bridge/README.md): what an app's web view puts on the page
// before the page's own scripts run. It defines window.CashierAppBridge; when the widget posts a cashier:pay message,
// it shows the "App SDK" sheet a real app would hand over to the channel's SDK, and pays through the sandbox's SDK
// stand-ins (via the app's own server, /app-host/sdk/:channel, as an app's native code would call the SDK), then
// answers window.__cashierAppReply with the SDK's result. Served by demo/app-host/index.ts as /app-host/bridge.js.
(function () {
  'use strict';
  var NAMES = { wechatpay: 'WeChat Pay 微信支付', alipay: 'Alipay 支付宝', unionpay: 'UnionPay 银联' };
  var CSS =
    ':host{all:initial}' +
    '.scrim{position:fixed;inset:0;background:rgba(0,0,0,.45);display:flex;align-items:flex-end;justify-content:center;z-index:2147483647;font:15px/1.45 system-ui,-apple-system,"PingFang SC",sans-serif}' +
    '.sheet{background:#fff;color:#1d2129;width:100%;max-width:480px;border-radius:16px 16px 0 0;padding:20px 16px 24px;box-shadow:0 -4px 24px rgba(0,0,0,.2)}' +
    'h2{font-size:17px;margin:0 0 4px}p{margin:0 0 12px;color:#4e5969;font-size:13px}' +
    'code{font:12px ui-monospace,monospace;word-break:break-all;display:block;background:#f2f5fa;padding:8px;border-radius:8px;margin-bottom:12px;max-height:5.5em;overflow:hidden}' +
    'button{font:inherit;width:100%;min-height:44px;border-radius:10px;margin-top:8px;cursor:pointer;border:1px solid #c9cdd4;background:#fff;color:#1d2129}' +
    'button.pay{background:#0a7a3e;border-color:#0a7a3e;color:#fff;font-weight:600}' +
    'button:focus-visible{outline:2px solid #0b57d0;outline-offset:2px}';

  function showSheet(message) {
    return new Promise(function (resolve) {
      var host = document.createElement('div');
      host.setAttribute('data-app-sdk', message.channel);
      var root = host.attachShadow({ mode: 'open' });
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
      var scrim = document.createElement('div');
      scrim.className = 'scrim';
      var box = document.createElement('div');
      box.className = 'sheet';
      box.setAttribute('role', 'dialog');
      box.setAttribute('aria-modal', 'true');
      box.setAttribute('aria-labelledby', 'sdk-title');
      var title = document.createElement('h2');
      title.id = 'sdk-title';
      title.textContent = 'App SDK · ' + (NAMES[message.channel] || message.channel);
      var note = document.createElement('p');
      note.textContent = 'Demo merchant app: this sheet plays the channel’s SDK, which the app was handed these parameters for.';
      var params = document.createElement('code');
      params.textContent = typeof message.sdkParams === 'string' ? message.sdkParams : JSON.stringify(message.sdkParams);
      box.append(title, note, params);
      [
        ['pay', 'Pay', 'pay'],
        ['cancel', 'Cancel', ''],
        ['fail', 'Make the SDK fail', ''],
      ].forEach(function (spec) {
        var button = document.createElement('button');
        button.type = 'button';
        button.textContent = spec[1];
        button.className = spec[2];
        button.addEventListener('click', function () {
          host.remove();
          resolve(spec[0]);
        });
        box.append(button);
      });
      scrim.append(box);
      root.append(scrim);
      document.body.append(host);
      root.querySelector('button.pay').focus();
    });
  }

  window.CashierAppBridge = {
    channels: ['wechatpay', 'alipay', 'unionpay'],
    postMessage: function (json) {
      var message;
      try {
        message = JSON.parse(json);
      } catch (error) {
        return;
      }
      if (!message || message.type !== 'cashier:pay') return;
      showSheet(message)
        .then(function (choice) {
          return fetch('/app-host/sdk/' + encodeURIComponent(message.channel), {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ sdkParams: message.sdkParams, choice: choice }),
          }).then(function (response) {
            return response.json();
          });
        })
        .catch(function (error) {
          return { result: 'fail', raw: String(error) };
        })
        .then(function (sdk) {
          window.__cashierAppReply({ requestId: message.requestId, result: sdk.result, raw: sdk.raw });
        });
    },
  };
})();
