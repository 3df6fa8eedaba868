/**
 * Hash routing: `#/conversations`, `#/conversations/<id>`, `#/knowledge`.
 * A new section adds a variant here, an entry in sections.ts and a page.
 */
export type Route =
  | { readonly name: 'conversations'; readonly conversationId?: string }
  | { readonly name: 'knowledge' }
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
  return { name: 'notFound', path };
}

export function hrefFor(route: Route): string {
  switch (route.name) {
    case 'conversations':
      return route.conversationId !== undefined ? `#/conversations/${encodeURIComponent(route.conversationId)}` : '#/conversations';
    case 'knowledge':
      return '#/knowledge';
    case 'notFound':
      return `#/${route.path}`;
  }
}
