// What the lazily loaded chunks take from the widget's main bundle instead of bundling their own copies: Preact and
// its hooks (one Preact per tree, or hooks and context break), signals (one graph, or views stop updating), the
// view context and the small shared views. Chunk code imports these from here, never from 'preact' itself.
//
// In the ES module build this file is what it says. In the script-tag build every chunk is built on its own and this
// module is swapped for live bindings that the main bundle fills in when it loads the chunk (vite.widget.ts).

export { Fragment, jsx, jsxs } from 'preact/jsx-runtime';
export { useEffect, useRef } from 'preact/hooks';
export { signal } from '@preact/signals';
export { WidgetError } from '../errors.ts';
export { errorText } from '../i18n/index.ts';
export { useView } from '../views/context.ts';
export { BrandMark } from '../views/internal/BrandMark.tsx';
export { channelName } from '../views/internal/names.ts';
