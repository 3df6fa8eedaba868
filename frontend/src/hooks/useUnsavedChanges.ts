import { useEffect, useRef } from 'react';
import { holdUnsaved, unsavedChanges } from '../lib/unsaved';

/**
 * Call in every editor with `dirty` true while it holds edits not yet saved: closing or reloading the tab, moving
 * to another page and signing out then ask first (lib/unsaved.ts). Saving, discarding or closing the editor ends it.
 */
export function useUnsavedChanges(dirty: boolean): void {
  const holder = useRef({});
  useEffect(() => (dirty ? holdUnsaved(window, unsavedChanges, holder.current) : undefined), [dirty]);
}
