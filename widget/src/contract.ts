/**
 * What the loader hands the lazily loaded UI, and what the UI hands back.
 * Types only: the loader and the UI are separate bundles joined by `import()`.
 */
import type { EnvConfig, Position, TenantConfig } from './lib/config';
import type { Lang } from './lib/i18n';

export interface MountOptions {
  /** The widget's shadow root; styles are adopted here. */
  readonly root: ShadowRoot;
  /** Element inside the shadow root that the panel renders into. */
  readonly container: HTMLElement;
  /** The loader's launcher button; focus returns here when the panel closes. */
  readonly launcher: HTMLButtonElement;
  readonly key: string;
  readonly env: EnvConfig;
  readonly tenant: TenantConfig;
  readonly lang: Lang;
  readonly position: Position;
  /** The loader script's CSP nonce, for a `<style>` fallback. */
  readonly nonce?: string;
  readonly onOpenChange: (open: boolean) => void;
  readonly onUnread: (count: number) => void;
}

export interface WidgetController {
  open(): void;
  close(): void;
  toggle(): void;
  /** Connects without opening the panel: replies then count as unread on the launcher. */
  connect(): void;
}

export type MountWidget = (options: MountOptions) => WidgetController;

export function isMountWidget(v: unknown): v is MountWidget {
  return typeof v === 'function';
}
