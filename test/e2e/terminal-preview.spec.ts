import { expect, test, type Page } from '@playwright/test';

// The demo page as a customer's browser sees it: the terminal the server detects from the real request and the
// evidence the page reports, and the options the shared eligibility rules give a sample order there.

const UA = {
  iphoneSafari:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 14_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/14.1.1 Mobile/15E148 Safari/604.1',
  wechatIos:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 15_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.22(0x18001627) NetType/WIFI Language/zh_CN',
  alipayAndroid:
    'Mozilla/5.0 (Linux; U; Android 10; zh-CN; SM-G9750 Build/QP1A.190711.020) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/69.0.3497.100 UWS/3.22.0.36 Mobile Safari/537.36 AlipayChannelId/5136 NebulaSDK/1.8.100112 Nebula AlipayDefined(nt:WIFI,ws:412|0|3.5) AliApp(AP/10.2.51.7100) AlipayClient/10.2.51.7100 Language/zh-Hans useStatusBar/true isConcaveScreen/true Region/CNAriver/1.0.0',
  mac: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/14.0 Safari/605.1.15',
};

async function terminalOf(page: Page): Promise<string | null> {
  await page.goto('/preview');
  const kind = page.getByTestId('terminal-kind');
  await expect(kind).toBeVisible();
  return kind.getAttribute('data-kind');
}

async function optionIds(page: Page): Promise<string[]> {
  return page.getByTestId('options').locator('li').evaluateAll((items) => items.map((li) => li.getAttribute('data-option') ?? ''));
}

test('a desktop Chromium is a PC: QR for WeChat Pay, page pay for Alipay, and no pay button', async ({ page }) => {
  expect(await terminalOf(page)).toBe('pc');
  expect(await optionIds(page)).toEqual([
    'wechatpay:native',
    'alipay:page',
    'alipay:page:huabei-3',
    'alipay:page:huabei-6',
    'alipay:page:huabei-12',
    'unionpay:gateway',
  ]);
  await expect(page.getByText('Payments are not built yet')).toBeVisible();
  await expect(page.getByRole('button')).toHaveCount(0);
  // 128,000 fen + 2.3 % (2,944 fen) over 3 periods: 436.50 first, then 436.47 twice.
  await expect(page.locator('[data-option="alipay:page:huabei-3"]')).toContainText('CN¥436.47 × 3');
  await expect(page.locator('[data-option="alipay:page:huabei-3"]')).toContainText('fee CN¥29.44, paid by buyer');
});

test.describe('on an iPhone', () => {
  test.use({ userAgent: UA.iphoneSafari, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

  test('Safari is a mobile browser with H5 and WAP pay', async ({ page }) => {
    expect(await terminalOf(page)).toBe('wap');
    expect((await optionIds(page)).filter((id) => !id.includes('huabei'))).toEqual(['wechatpay:h5', 'alipay:wap', 'unionpay:wap']);
    await page.screenshot({ path: test.info().outputPath('iphone-safari.png'), fullPage: true });
  });
});

test.describe('inside WeChat', () => {
  test.use({ userAgent: UA.wechatIos, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

  test('offers JSAPI first and hands the others off', async ({ page }) => {
    expect(await terminalOf(page)).toBe('wechat');
    expect(await optionIds(page)).toEqual(['wechatpay:jsapi', 'alipay:handoff', 'unionpay:handoff']);
  });

  test('a mini-program web-view is recognised from the page, not the user agent', async ({ page }) => {
    await page.addInitScript(() => {
      (window as unknown as { __wxjs_environment: string }).__wxjs_environment = 'miniprogram';
    });
    expect(await terminalOf(page)).toBe('miniprogram');
    expect(await optionIds(page)).toEqual(['wechatpay:miniprogram']);
    await expect(page.getByTestId('evidence')).toContainText('env:__wxjs_environment=miniprogram');
    await expect(page.getByTestId('unavailable')).toContainText('a WeChat mini-program allows WeChat Pay only');
  });
});

test.describe('inside the Alipay client', () => {
  test.use({ userAgent: UA.alipayAndroid, viewport: { width: 412, height: 915 }, isMobile: true, hasTouch: true });

  test('offers in-client pay with Huabei, and WeChat Pay as a hand-off', async ({ page }) => {
    expect(await terminalOf(page)).toBe('alipay');
    expect(await optionIds(page)).toEqual([
      'alipay:inapp',
      'alipay:inapp:huabei-3',
      'alipay:inapp:huabei-6',
      'alipay:inapp:huabei-12',
      'wechatpay:handoff',
      'unionpay:handoff',
    ]);
  });
});

test.describe('an iPad presenting a Mac user agent', () => {
  test.use({ userAgent: UA.mac, viewport: { width: 820, height: 1180 } });

  test('is a PC without touch points, and a tablet with an iPad\'s five', async ({ page }) => {
    expect(await terminalOf(page)).toBe('pc');
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 5 });
    expect(await terminalOf(page)).toBe('wap');
    await expect(page.getByTestId('evidence')).toContainText('(iPadOS)');
  });
});
