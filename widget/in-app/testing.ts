// A stand-in for the page's window in the in-app chunks' unit tests (they run in Node): events on a document and on
// the window, timers, a user agent, and whatever globals a test puts on it (bridges).

export interface FakeWindow {
  readonly win: Window;
  readonly globals: Record<string, unknown>;
  /** Dispatches a bare event on the document, as a host does with WeixinJSBridgeReady. */
  fireOnDocument(type: string): void;
}

export function fakeWindow(userAgent = 'Mozilla/5.0', maxTouchPoints = 0): FakeWindow {
  const document = new EventTarget();
  const target = new EventTarget();
  const globals: Record<string, unknown> = {};
  const base = {
    document,
    navigator: { userAgent, maxTouchPoints },
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
    clearTimeout: (id: ReturnType<typeof setTimeout>) => clearTimeout(id),
    addEventListener: target.addEventListener.bind(target),
    removeEventListener: target.removeEventListener.bind(target),
    dispatchEvent: target.dispatchEvent.bind(target),
  };
  const win = new Proxy(base, {
    get: (object, key) => (key in object ? object[key as keyof typeof object] : globals[key as string]),
    set: (_object, key, value) => {
      globals[key as string] = value;
      return true;
    },
  }) as unknown as Window;
  Object.assign(base, { parent: win });
  return { win, globals, fireOnDocument: (type) => void document.dispatchEvent(new Event(type)) };
}
