// The picture beside "tap ··· then Open in …": a phone with the host's title bar, its ··· button ringed and an arrow
// to it, and the menu sheet with the browser item picked out. Drawn inline (no image requests, CSP-safe); iOS gets
// Safari's compass and the notch, Android a globe.

import type { MenuLabel } from './strings.ts';

export function Hint({ label, tile, kind }: { label: string; tile: string; kind: MenuLabel }) {
  const ios = kind === 'safari';
  return (
    <svg class="hint" viewBox="0 0 120 200" width="120" height="200" role="img" aria-label={label} data-part="hint" data-kind={kind}>
      <rect x="2" y="2" width="116" height="196" rx="16" class="body" />
      {ios && <rect x="44" y="7" width="32" height="6" rx="3" class="ink" />}
      <rect x="8" y="18" width="104" height="20" class="bar" />
      <rect x="30" y="25" width="44" height="6" rx="3" class="line" />
      <circle cx="93" cy="28" r="1.8" class="ink" />
      <circle cx="99" cy="28" r="1.8" class="ink" />
      <circle cx="105" cy="28" r="1.8" class="ink" />
      <rect x="8" y="38" width="104" height="94" class="dim" />
      <circle cx="99" cy="28" r="9" class="ring" />
      <path d="M62 96C88 86 98 66 99 42" class="arrow" />
      <path d="M93 48l6-8 5 9" class="arrow" />
      <rect x="8" y="132" width="104" height="60" class="sheet" />
      <rect x="18" y="140" width="24" height="24" rx="6" class="pick" />
      {ios ? (
        <g class="icon">
          <circle cx="30" cy="152" r="8" />
          <path d="M34 148l-3 6-5 2 3-6z" />
        </g>
      ) : (
        <g class="icon">
          <circle cx="30" cy="152" r="8" />
          <path d="M22 152h16M30 144c-4 5-4 11 0 16M30 144c4 5 4 11 0 16" />
        </g>
      )}
      <rect x="49" y="140" width="24" height="24" rx="6" class="tile" />
      <rect x="80" y="140" width="24" height="24" rx="6" class="tile" />
      <text x="30" y="178" class="label">
        {tile}
      </text>
    </svg>
  );
}
