import type { ConversationMode } from '../api/types';
import { modeLabels } from '../lib/format';

export function ModeBadge({ mode }: { mode: ConversationMode }) {
  return (
    <span className={`badge badge--${mode}`} data-testid="conversation-mode" data-mode={mode}>
      {modeLabels[mode]}
    </span>
  );
}
