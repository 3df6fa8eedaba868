import type { Infer } from '../lib/decode';
import type { attachmentDecoder } from '../api/types';
import { safeHttpUrl } from '../lib/url';

type Attachment = Infer<typeof attachmentDecoder>;

/** "Photo", "Voice note", "Video" or "File", from the media type a provider gave (`image/jpeg`, `audio/ogg`, `image/*`). */
export function attachmentLabel(contentType: string): string {
  const kind = contentType.split('/')[0];
  if (kind === 'image') return 'Photo';
  if (kind === 'audio') return 'Voice note';
  if (kind === 'video') return 'Video';
  return 'File';
}

/** The address when it can be opened from the inbox: https only (a forged `javascript:` or plain-http one is no link). */
export function attachmentHref(url: string): string | undefined {
  const safe = safeHttpUrl(url);
  return safe?.startsWith('https://') ? safe : undefined;
}

/**
 * A channel customer's photos, voice notes and files, each a link that opens the provider's copy in a new tab (no
 * referrer: the address is the customer's). One that cannot be a link is named, not linked.
 */
export function Attachments({ attachments }: { attachments: readonly Attachment[] | undefined }) {
  if (attachments === undefined || attachments.length === 0) return null;
  return (
    <ul className="message__attachments" aria-label="Attachments" data-testid="message-attachments">
      {attachments.map((a, i) => {
        const href = attachmentHref(a.url);
        const label = `${attachmentLabel(a.contentType)} (${a.contentType})`;
        return (
          <li key={`${i}-${a.url}`} data-testid="message-attachment">
            {href ? (
              <a href={href} target="_blank" rel="noopener noreferrer">
                Open {label}
              </a>
            ) : (
              <span>{label}: cannot be opened here</span>
            )}
          </li>
        );
      })}
    </ul>
  );
}
