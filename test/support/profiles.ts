/** A tenant profile for tests that need one to exist (webhooks refuse a URL naming no tenant; the concierge reads its name). */
import type { TenantProfile } from '../../lambdas/core/ports';

export function tenantProfile(tenantId: string, extra: Partial<TenantProfile> = {}): TenantProfile {
  return {
    tenantId,
    name: tenantId,
    slug: tenantId,
    timezone: 'Europe/Dublin',
    languages: ['en'],
    widgetKey: 'k',
    allowedOrigins: [],
    theme: { colour: '#000000', position: 'right', greeting: {} },
    kbVersion: 1,
    ...extra,
  };
}
