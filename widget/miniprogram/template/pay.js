// pages/cashier/pay — the mini-program page that pays for the cashier widget (see README.md beside this file).
// The widget, in this mini-program's <web-view>, opens this page with wx.miniProgram.navigateTo and the query
// ?session=<cashier-session token>&optionId=<option>&orderId=<order>. This page signs the payer in (wx.login, the
// code to the BFF, which keeps the openid on the session), asks the BFF for the payment's parameters, opens WeChat
// Pay (wx.requestPayment) and goes back to the web-view, which then asks the BFF how the order ended: the result
// of wx.requestPayment is never taken as proof of payment.
//
// WeChat's documents: wx.login (developers.weixin.qq.com/miniprogram/dev/api/open-api/login/wx.login.html),
// wx.request (…/api/network/request/wx.request.html), wx.requestPayment (…/api/payment/wx.requestPayment.html:
// timeStamp, nonceStr, package, signType, paySign; a customer who cancels gets fail with "requestPayment:fail
// cancel"), wx.navigateBack (…/api/route/wx.navigateBack.html). The BFF's endpoints: bff/routes/wechat-oauth.ts.

/** The BFF's origin, e.g. https://pay.example.com: set `cashierBff` in app.js globalData (and list it as a request domain). */
function bffOrigin() {
  const app = getApp();
  return (app && app.globalData && app.globalData.cashierBff) || '';
}

/** Values in onLoad's query arrive as they were in the URL: percent-encoded. */
function decoded(value) {
  try {
    return decodeURIComponent(value || '');
  } catch (error) {
    return '';
  }
}

function callBff(path, token, body) {
  return new Promise((resolve, reject) => {
    wx.request({
      url: `${bffOrigin()}/cashier/v1${path}`,
      method: 'POST',
      header: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      data: body,
      success(response) {
        if (response.statusCode >= 200 && response.statusCode < 300) return resolve(response.data);
        const error = (response.data && response.data.error) || {};
        reject({ code: error.code || `http_${response.statusCode}`, message: error.message || '' });
      },
      fail(failure) {
        reject({ code: 'network', message: failure.errMsg });
      },
    });
  });
}

function login() {
  return new Promise((resolve, reject) => {
    wx.login({
      success(result) {
        if (result.code) resolve(result.code);
        else reject({ code: 'login_failed', message: result.errMsg });
      },
      fail(failure) {
        reject({ code: 'login_failed', message: failure.errMsg });
      },
    });
  });
}

/** 'ok', 'cancel' or 'fail', as WeChat Pay's sheet closed. */
function requestPayment(parameters) {
  return new Promise((resolve) => {
    wx.requestPayment({
      timeStamp: parameters.timeStamp,
      nonceStr: parameters.nonceStr,
      package: parameters.package,
      signType: parameters.signType,
      paySign: parameters.paySign,
      success() {
        resolve('ok');
      },
      fail(failure) {
        resolve(/cancel/.test((failure && failure.errMsg) || '') ? 'cancel' : 'fail');
      },
    });
  });
}

Page({
  data: { state: 'paying', message: '' },

  onLoad(query) {
    this.token = decoded(query.session);
    this.optionId = decoded(query.optionId);
    if (!this.token || !this.optionId) {
      this.setData({ state: 'failed', message: '支付链接不完整，请返回重试。' });
      return;
    }
    this.pay();
  },

  pay() {
    this.setData({ state: 'paying', message: '' });
    return login()
      .then((code) => callBff('/wechat/miniprogram/login', this.token, { code }))
      .then(() => callBff('/pay', this.token, { optionId: this.optionId, evidence: { wxjsEnvironment: 'miniprogram' } }))
      .then((answer) => {
        const action = answer && answer.action;
        if (!action || action.kind !== 'miniprogram' || !action.parameters) throw { code: 'bad_response', message: '' };
        return requestPayment(action.parameters);
      })
      .then((result) => {
        // Paid or cancelled: back to the web-view, which asks the BFF. A failed sheet stays here to be tried again.
        if (result === 'fail') this.setData({ state: 'failed', message: '支付未完成，请重试或返回选择其他方式。' });
        else this.back();
      })
      .catch((error) => {
        this.setData({ state: 'failed', message: `支付未能发起（${(error && error.code) || 'error'}），请重试或返回。` });
      });
  },

  retry() {
    this.pay();
  },

  back() {
    wx.navigateBack({ delta: 1 });
  },
});
