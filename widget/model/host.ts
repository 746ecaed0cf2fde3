// What the model needs from the page, behind one interface: timers, the monotonic clock, whether the tab is
// visible (and hearing when the customer comes back), and leaving for a channel's page. The browser's version is
// here; the model's tests pass their own. Every listener it adds is removed by the function it returns.

export interface Host {
  /** Monotonic milliseconds (performance.now). */
  now(): number;
  setTimeout(fn: () => void, ms: number): number;
  clearTimeout(id: number): void;
  isHidden(): boolean;
  /** The tab became visible again, or the page came back from the back-forward cache. */
  onReturn(fn: (how: 'visible' | 'pageshow') => void): () => void;
  onHidden(fn: () => void): () => void;
  /** Top-level navigation to a channel's page. */
  navigate(url: string): void;
  /** Posts a form to a channel's gateway (UnionPay's frontTransReq). */
  submitForm(action: string, method: 'POST' | 'GET', fields: Readonly<Record<string, string>>): void;
}

export function browserHost(win: Window): Host {
  const doc = win.document;
  return {
    now: () => win.performance.now(),
    setTimeout: (fn, ms) => win.setTimeout(fn, ms),
    clearTimeout: (id) => win.clearTimeout(id),
    isHidden: () => doc.visibilityState === 'hidden',
    onReturn(fn) {
      const visible = () => {
        if (doc.visibilityState === 'visible') fn('visible');
      };
      // A page restored from the back-forward cache fires pageshow with persisted=true and no visibilitychange in
      // some browsers (iOS Safari): the customer pressed Back on the channel's page.
      const shown = (event: PageTransitionEvent) => {
        if (event.persisted) fn('pageshow');
      };
      doc.addEventListener('visibilitychange', visible);
      win.addEventListener('pageshow', shown);
      return () => {
        doc.removeEventListener('visibilitychange', visible);
        win.removeEventListener('pageshow', shown);
      };
    },
    onHidden(fn) {
      const hidden = () => {
        if (doc.visibilityState === 'hidden') fn();
      };
      doc.addEventListener('visibilitychange', hidden);
      return () => doc.removeEventListener('visibilitychange', hidden);
    },
    navigate: (url) => win.location.assign(url),
    submitForm(action, method, fields) {
      // Built in the merchant's document, values set as properties (text, never markup), then posted.
      const form = doc.createElement('form');
      form.method = method;
      form.action = action;
      form.acceptCharset = 'UTF-8';
      form.hidden = true;
      for (const [name, value] of Object.entries(fields)) {
        const input = doc.createElement('input');
        input.type = 'hidden';
        input.name = name;
        input.value = value;
        form.appendChild(input);
      }
      doc.body.appendChild(form);
      form.submit();
    },
  };
}
