// Server-rendered pages of the sandbox (the channels' pay pages, the control page). Plain HTML forms, no scripts,
// every value escaped: the pages work under a strict CSP and in any test browser.

export interface Html {
  readonly html: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escape(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (character) => ESCAPES[character] ?? character);
}

/** A tagged template that escapes every interpolated value unless it is already Html (or a list of Html). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    const items = Array.isArray(value) ? value : [value];
    out += items.map((item) => (typeof item === 'object' && item !== null && 'html' in item ? (item as Html).html : escape(item ?? ''))).join('');
    out += strings[i + 1] ?? '';
  });
  return { html: out };
}

export function page(title: string, body: Html): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title>
<style>
body { font-family: system-ui, -apple-system, 'PingFang SC', sans-serif; margin: 0; background: #f5f6f8; color: #1d2129; }
main { max-width: 32rem; margin: 0 auto; padding: 1.5rem 1rem; }
.card { background: #fff; border-radius: 10px; padding: 1.25rem; margin-bottom: 1rem; box-shadow: 0 1px 2px #0001; }
.amount { font-size: 2rem; font-weight: 650; margin: 0.5rem 0; }
.banner { background: #fff7e6; border: 1px solid #ffd591; border-radius: 8px; padding: 0.5rem 0.75rem; font-size: 0.85rem; }
form.inline { display: inline; }
label { display: inline-block; margin: 0.25rem 0.9rem 0.25rem 0; white-space: nowrap; }
button { font: inherit; padding: 0.6rem 1.1rem; border-radius: 8px; border: 1px solid #c9cdd4; background: #fff; cursor: pointer; margin: 0.25rem 0.25rem 0 0; }
button.primary { background: #1677ff; border-color: #1677ff; color: #fff; }
table { border-collapse: collapse; width: 100%; font-size: 0.85rem; }
td, th { text-align: left; padding: 0.3rem 0.4rem; border-bottom: 1px solid #e5e6eb; vertical-align: top; }
code { font-size: 0.8rem; overflow-wrap: anywhere; }
</style>
</head>
<body><main>
<p class="banner">Sandbox — not a real payment channel. No money moves.</p>
${body.html}
</main></body>
</html>`;
}

/** The pay / fail / abandon buttons every customer-facing page of the sandbox carries. */
export function customerButtons(action: string, hidden: Record<string, string> = {}): Html {
  const fields = Object.entries(hidden).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`);
  return html`<form method="post" action="${action}">
${fields}
<button class="primary" type="submit" name="outcome" value="pay">Pay</button>
<button type="submit" name="outcome" value="fail">Fail the payment</button>
<button type="submit" name="outcome" value="abandon">Abandon</button>
</form>`;
}

export function formatFen(amount: number): string {
  return `¥${Math.floor(amount / 100)}.${String(amount % 100).padStart(2, '0')}`;
}
