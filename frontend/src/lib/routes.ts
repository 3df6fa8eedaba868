/**
 * Hash routing: `#/conversations`, `#/conversations/<id>`, `#/knowledge`,
 * `#/inbox[/<queue>[/<id>]]`, `#/settings`, `#/outbox`, `#/calendar`, `#/services`, `#/team`, `#/widget`, `#/integrations`, `#/analytics`, `#/webhooks`, `#/audit`, `#/customers`.
 * A new section adds a variant here, an entry in sections.ts and a page.
 */
export type InboxQueueName = 'waiting' | 'mine' | 'all' | 'callbacks';
export const inboxQueues: readonly InboxQueueName[] = ['waiting', 'mine', 'all', 'callbacks'];

export type Route =
  | { readonly name: 'conversations'; readonly conversationId?: string }
  | { readonly name: 'knowledge' }
  | { readonly name: 'inbox'; readonly queue: InboxQueueName; readonly conversationId?: string }
  | { readonly name: 'settings' }
  | { readonly name: 'outbox' }
  | { readonly name: 'calendar' }
  | { readonly name: 'services' }
  | { readonly name: 'team' }
  | { readonly name: 'widget' }
  | { readonly name: 'integrations' }
  | { readonly name: 'webhooks' }
  | { readonly name: 'analytics' }
  | { readonly name: 'audit' }
  | { readonly name: 'customers' }
  | { readonly name: 'notFound'; readonly path: string };

export type SectionName = Exclude<Route['name'], 'notFound'>;

export const defaultRoute: Route = { name: 'conversations' };

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/^\/+/, '').replace(/\/+$/, '');
  if (path === '') return defaultRoute;
  const [section, ...rest] = path.split('/');
  if (section === 'conversations') {
    if (rest.length === 0) return { name: 'conversations' };
    const id = rest.length === 1 && rest[0] !== undefined ? safeDecode(rest[0]) : undefined;
    return id ? { name: 'conversations', conversationId: id } : { name: 'notFound', path };
  }
  if (section === 'knowledge' && rest.length === 0) return { name: 'knowledge' };
  if (section === 'settings' && rest.length === 0) return { name: 'settings' };
  if (section === 'outbox' && rest.length === 0) return { name: 'outbox' };
  if (section === 'calendar' && rest.length === 0) return { name: 'calendar' };
  if (section === 'services' && rest.length === 0) return { name: 'services' };
  if (section === 'team' && rest.length === 0) return { name: 'team' };
  if (section === 'widget' && rest.length === 0) return { name: 'widget' };
  if (section === 'integrations' && rest.length === 0) return { name: 'integrations' };
  if (section === 'webhooks' && rest.length === 0) return { name: 'webhooks' };
  if (section === 'analytics' && rest.length === 0) return { name: 'analytics' };
  if (section === 'audit' && rest.length === 0) return { name: 'audit' };
  if (section === 'customers' && rest.length === 0) return { name: 'customers' };
  if (section === 'inbox') {
    if (rest.length === 0) return { name: 'inbox', queue: 'waiting' };
    const queue = inboxQueues.find((q) => q === rest[0]);
    if (!queue || rest.length > 2) return { name: 'notFound', path };
    if (rest.length === 1) return { name: 'inbox', queue };
    const id = rest[1] !== undefined ? safeDecode(rest[1]) : undefined;
    return id ? { name: 'inbox', queue, conversationId: id } : { name: 'notFound', path };
  }
  return { name: 'notFound', path };
}

export function hrefFor(route: Route): string {
  switch (route.name) {
    case 'conversations':
      return route.conversationId !== undefined ? `#/conversations/${encodeURIComponent(route.conversationId)}` : '#/conversations';
    case 'knowledge':
      return '#/knowledge';
    case 'inbox':
      return route.conversationId !== undefined ? `#/inbox/${route.queue}/${encodeURIComponent(route.conversationId)}` : `#/inbox/${route.queue}`;
    case 'settings':
      return '#/settings';
    case 'outbox':
      return '#/outbox';
    case 'calendar':
      return '#/calendar';
    case 'services':
      return '#/services';
    case 'team':
      return '#/team';
    case 'widget':
      return '#/widget';
    case 'integrations':
      return '#/integrations';
    case 'webhooks':
      return '#/webhooks';
    case 'analytics':
      return '#/analytics';
    case 'audit':
      return '#/audit';
    case 'customers':
      return '#/customers';
    case 'notFound':
      return `#/${route.path}`;
  }
}

/** The landing address of a section (the inbox opens on its waiting queue). */
export function sectionHref(name: SectionName): string {
  switch (name) {
    case 'inbox':
      return hrefFor({ name: 'inbox', queue: 'waiting' });
    case 'conversations':
      return hrefFor({ name: 'conversations' });
    case 'knowledge':
    case 'settings':
    case 'outbox':
    case 'calendar':
    case 'services':
    case 'team':
    case 'widget':
    case 'integrations':
    case 'webhooks':
    case 'analytics':
    case 'audit':
    case 'customers':
      return hrefFor({ name });
  }
}
