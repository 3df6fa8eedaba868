/** @jsxImportSource preact */
/** Decorative inline icons (stroke-based, 24×24); labels live on the buttons that hold them. */
import type { JSX } from 'preact';

function Icon({ d }: { d: readonly string[] }): JSX.Element {
  return (
    <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      {d.map((p) => (
        <path key={p} d={p} />
      ))}
    </svg>
  );
}

export const CloseIcon = (): JSX.Element => <Icon d={['M6 6l12 12M18 6L6 18']} />;
export const NewIcon = (): JSX.Element => <Icon d={['M12 20h9', 'M16.5 3.5a2.1 2.1 0 0 1 3 3L7 19l-4 1 1-4z']} />;
export const SendIcon = (): JSX.Element => <Icon d={['M4 12l16-8-6 16-2-7z', 'M12 13l8-9']} />;
export const SourceIcon = (): JSX.Element => <Icon d={['M6 3h9l4 4v14H6z', 'M14 3v5h5', 'M9 13h7M9 17h5']} />;
