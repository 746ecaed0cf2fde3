import type { ChannelId } from '../../../shared/channels/types.ts';
import { channelView } from '../../channels/index.ts';

/** The channel's mark: decorative (the name is always beside it), hidden from assistive technology. */
export function BrandMark({ channel, size = 24 }: { channel: ChannelId; size?: number }) {
  const { mark } = channelView(channel);
  return (
    <svg class="mark" width={size} height={size} viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <rect width="24" height="24" rx="6" fill={mark.color} />
      <text x="12" y="16.8" text-anchor="middle" font-size="13" font-weight="700" fill="#fff" font-family="system-ui,sans-serif">
        {mark.glyph}
      </text>
    </svg>
  );
}
