import fc from 'fast-check';
import { hrefFor, parseRoute } from '../../frontend/src/lib/routes';
import { roleOf } from '../../frontend/src/lib/roles';
import { sectionsFor } from '../../frontend/src/sections';

describe('hash routes', () => {
  it.each([
    ['', { name: 'conversations' }],
    ['#', { name: 'conversations' }],
    ['#/', { name: 'conversations' }],
    ['#/conversations', { name: 'conversations' }],
    ['#/conversations/', { name: 'conversations' }],
    ['#/conversations/c-123', { name: 'conversations', conversationId: 'c-123' }],
    ['#/conversations/a%2Fb', { name: 'conversations', conversationId: 'a/b' }],
    ['#/knowledge', { name: 'knowledge' }],
    ['#/knowledge/extra', { name: 'notFound', path: 'knowledge/extra' }],
    ['#/conversations/a/b', { name: 'notFound', path: 'conversations/a/b' }],
    ['#/conversations/%E0%A4%A', { name: 'notFound', path: 'conversations/%E0%A4%A' }],
    ['#/settings', { name: 'settings' }],
    ['#/outbox', { name: 'outbox' }],
    ['#/calendar', { name: 'calendar' }],
    ['#/services', { name: 'services' }],
    ['#/team', { name: 'team' }],
    ['#/team/x', { name: 'notFound', path: 'team/x' }],
    ['#/widget', { name: 'widget' }],
    ['#/widget/x', { name: 'notFound', path: 'widget/x' }],
    ['#/integrations', { name: 'integrations' }],
    ['#/integrations/stripe', { name: 'notFound', path: 'integrations/stripe' }],
    ['#/webhooks', { name: 'webhooks' }],
    ['#/webhooks/x', { name: 'notFound', path: 'webhooks/x' }],
    ['#/analytics', { name: 'analytics' }],
    ['#/analytics/x', { name: 'notFound', path: 'analytics/x' }],
    ['#/audit', { name: 'audit' }],
    ['#/audit/x', { name: 'notFound', path: 'audit/x' }],
    ['#/customers', { name: 'customers' }],
    ['#/customers/x', { name: 'notFound', path: 'customers/x' }],
    ['#/calendar/x', { name: 'notFound', path: 'calendar/x' }],
    ['#/inbox', { name: 'inbox', queue: 'waiting' }],
    ['#/inbox/mine', { name: 'inbox', queue: 'mine' }],
    ['#/inbox/callbacks', { name: 'inbox', queue: 'callbacks' }],
    ['#/inbox/all/c-123', { name: 'inbox', queue: 'all', conversationId: 'c-123' }],
    ['#/inbox/nope', { name: 'notFound', path: 'inbox/nope' }],
    ['#/inbox/all/a/b', { name: 'notFound', path: 'inbox/all/a/b' }],
    ['#/billing', { name: 'notFound', path: 'billing' }],
  ])('%s', (hash, route) => {
    expect(parseRoute(hash)).toEqual(route);
  });

  it('round-trips any conversation id through the URL', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (id) => {
        expect(parseRoute(hrefFor({ name: 'conversations', conversationId: id }))).toEqual({ name: 'conversations', conversationId: id });
        expect(parseRoute(hrefFor({ name: 'inbox', queue: 'mine', conversationId: id }))).toEqual({ name: 'inbox', queue: 'mine', conversationId: id });
      }),
    );
  });
});

describe('roles and sections', () => {
  it('treats admin as the stronger group', () => {
    expect(roleOf(['agent', 'admin'])).toBe('admin');
    expect(roleOf(['agent'])).toBe('agent');
    expect(roleOf([])).toBeUndefined();
  });

  it('shows agents every section that is not admin-only', () => {
    expect(sectionsFor(false).every((s) => !s.adminOnly)).toBe(true);
    expect(sectionsFor(true).map((s) => s.name)).toEqual(['inbox', 'conversations', 'knowledge', 'calendar', 'analytics', 'services', 'team', 'widget', 'integrations', 'webhooks', 'settings', 'outbox', 'audit', 'customers']);
    expect(sectionsFor(false).map((s) => s.name)).toEqual(['inbox', 'conversations', 'knowledge', 'calendar', 'analytics', 'team', 'widget']);
  });
});
