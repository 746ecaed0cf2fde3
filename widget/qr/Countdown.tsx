import { useView } from '../in-app/runtime.ts';

/**
 * Time left to pay, by the server's clock. The visible timer is role="timer" (not announced each second); the
 * widget's status region announces it only at ANNOUNCE_AT thresholds, often enough to act on, rarely enough to bear.
 */
export function Countdown() {
  const { model, t } = useView();
  const left = model.remainingSeconds.value;
  if (left === null) return null;
  return (
    <p class="countdown" data-part="countdown" data-seconds={left}>
      {t.payWithin}{' '}
      <strong role="timer" aria-live="off">
        {clock(left)}
      </strong>
    </p>
  );
}

export function clock(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}
