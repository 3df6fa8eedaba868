/**
 * The admin UI's sections, in nav order. A new section (inbox actions,
 * services & hours, widget, channels, team, analytics) adds a route in
 * lib/routes.ts, an entry here and a page in pages/, wired in Shell.tsx.
 */
import type { SectionName } from './lib/routes';

export interface Section {
  readonly name: SectionName;
  readonly label: string;
  /** Hidden from the nav and refused for agents. */
  readonly adminOnly: boolean;
}

export const sections: readonly Section[] = [
  { name: 'inbox', label: 'Inbox', adminOnly: false },
  { name: 'conversations', label: 'Conversations', adminOnly: false },
  { name: 'knowledge', label: 'Knowledge', adminOnly: false },
  { name: 'calendar', label: 'Calendar', adminOnly: false },
  // Everyone sees the numbers and the unanswered questions; only admins add FAQs or dismiss (the server enforces it).
  { name: 'analytics', label: 'Analytics', adminOnly: false },
  { name: 'services', label: 'Services & hours', adminOnly: true },
  // Everyone sees the team; only admins get its controls (and the server enforces it).
  { name: 'team', label: 'Team', adminOnly: false },
  // Everyone sees the widget's settings and embed snippet; only admins can change them (the server enforces it).
  { name: 'widget', label: 'Widget', adminOnly: false },
  // Credentials are write-only and admin-only (the server refuses agents too).
  { name: 'integrations', label: 'Channels & integrations', adminOnly: true },
  // Subscriptions hold signing secrets and the dead-letter view shows deliveries: admins only (the server refuses agents too).
  { name: 'webhooks', label: 'Webhooks', adminOnly: true },
  { name: 'settings', label: 'Handoff settings', adminOnly: true },
  { name: 'outbox', label: 'Outbox', adminOnly: true },
  // Who changed what: admins only (the server refuses agents too).
  { name: 'audit', label: 'Audit log', adminOnly: true },
  // Customers' data requests (export, erasure) and retention: admins only (the server refuses agents too).
  { name: 'customers', label: 'Customers & privacy', adminOnly: true },
];

export function sectionsFor(isAdmin: boolean): Section[] {
  return sections.filter((s) => isAdmin || !s.adminOnly);
}
