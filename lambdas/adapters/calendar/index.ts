/**
 * Picks the Calendar adapter from configuration (`CALENDAR_PROVIDER`); used by
 * the composition root. A provider chosen without its credentials fails here,
 * at start-up, naming the missing variables (never their values).
 */
import type { Calendar, CalendarEvent } from '../../core/booking/ports';
import type { IntegrationSecrets } from '../../core/integrations';
import type { Config } from '../config';
import { BuiltinCalendar } from './builtin';
import { CalendlyCalendar } from './calendly';
import { GoogleCalendar } from './google';
import type { BearerTokenProvider } from './http';
import { MicrosoftCalendar } from './microsoft';

export { CalendarRejectedError, CalendarRetryableError, calendarErrorNames } from './errors';
export type { BearerTokenProvider } from './http';

type CalendarConfig = Partial<
  Pick<
    Config,
    | 'CALENDAR_PROVIDER'
    | 'GOOGLE_CALENDAR_ID'
    | 'GOOGLE_ACCESS_TOKEN'
    | 'GOOGLE_CALENDAR_API_BASE'
    | 'MS_GRAPH_TOKEN'
    | 'MS_CALENDAR_USER'
    | 'MS_GRAPH_API_BASE'
    | 'CALENDLY_TOKEN'
    | 'CALENDLY_EVENT_TYPE_URI'
    | 'CALENDLY_API_BASE'
  >
>;

/** Overrides for what configuration cannot express: a refreshing token source per provider. */
export interface CalendarSources {
  readonly googleToken?: BearerTokenProvider;
  readonly microsoftToken?: BearerTokenProvider;
  /** Tenants' own calendar credentials (google / microsoft / calendly); a tenant without any uses the environment's calendar. */
  readonly secrets?: Pick<IntegrationSecrets, 'get'>;
}

type ApiBases = Pick<CalendarConfig, 'GOOGLE_CALENDAR_API_BASE' | 'MS_GRAPH_API_BASE' | 'CALENDLY_API_BASE'>;

/** The tenant's own calendar, when it stored credentials: the environment's provider first, then google, microsoft, calendly. */
async function tenantCalendar(secrets: Pick<IntegrationSecrets, 'get'>, tenantId: string, preferred: string, bases: ApiBases): Promise<Calendar | undefined> {
  const order = (['google', 'microsoft', 'calendly'] as const).slice().sort((a, b) => Number(b === preferred) - Number(a === preferred));
  for (const provider of order) {
    switch (provider) {
      case 'google': {
        const c = await secrets.get(tenantId, 'google');
        if (c) return new GoogleCalendar({ calendarId: c.calendarId, token: async () => c.accessToken, ...(bases.GOOGLE_CALENDAR_API_BASE ? { apiBase: bases.GOOGLE_CALENDAR_API_BASE } : {}) });
        break;
      }
      case 'microsoft': {
        const c = await secrets.get(tenantId, 'microsoft');
        if (c) return new MicrosoftCalendar({ token: async () => c.accessToken, user: c.user, ...(bases.MS_GRAPH_API_BASE ? { apiBase: bases.MS_GRAPH_API_BASE } : {}) });
        break;
      }
      case 'calendly': {
        const c = await secrets.get(tenantId, 'calendly');
        if (c) return new CalendlyCalendar({ token: async () => c.token, eventTypeUri: c.eventTypeUri, ...(bases.CALENDLY_API_BASE ? { apiBase: bases.CALENDLY_API_BASE } : {}) });
        break;
      }
    }
  }
  return undefined;
}

/**
 * A Calendar per `tenantId`: the tenant's own calendar credentials (read through IntegrationSecrets, which caches
 * them for 60 s; the adapters are light and built per call), else the environment's calendar. `provider` names
 * the calendar that served the latest upsert — Lambda runs one request per container at a time.
 */
export class TenantCalendar implements Calendar {
  private lastProvider: Calendar['provider'];

  constructor(
    private readonly secrets: Pick<IntegrationSecrets, 'get'>,
    private readonly fallback: Calendar,
    private readonly bases: ApiBases,
  ) {
    this.lastProvider = fallback.provider;
  }

  get provider(): Calendar['provider'] {
    return this.lastProvider;
  }

  /** The calendar serving this tenant now. */
  async forTenant(tenantId: string): Promise<Calendar> {
    return (await tenantCalendar(this.secrets, tenantId, this.fallback.provider, this.bases)) ?? this.fallback;
  }

  async upsertEvent(event: CalendarEvent): Promise<{ eventId: string }> {
    const calendar = await this.forTenant(event.tenantId);
    const out = await calendar.upsertEvent(event);
    this.lastProvider = calendar.provider;
    return out;
  }

  async deleteEvent(input: { tenantId: string; bookingId: string; eventId: string }): Promise<void> {
    return (await this.forTenant(input.tenantId)).deleteEvent(input);
  }
}

function staticToken(token: string | undefined): BearerTokenProvider | undefined {
  return token ? async () => token : undefined;
}

/** The error naming every variable a provider still needs (only the names: values may be secrets). */
function missingFor(provider: string, values: Readonly<Record<string, unknown>>): Error {
  const missing = Object.keys(values).filter((k) => values[k] === undefined || values[k] === '');
  return new Error(`configuration error: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set (CALENDAR_PROVIDER is ${provider})`);
}

/**
 * The Calendar of this environment — per tenant when `sources.secrets` is given (TenantCalendar); throws at
 * start-up when the chosen provider lacks its credentials.
 */
export function calendarFromConfig(config: CalendarConfig, sources: CalendarSources = {}): Calendar {
  const environment = environmentCalendar(config, sources);
  if (!sources.secrets) return environment;
  return new TenantCalendar(sources.secrets, environment, {
    ...(config.GOOGLE_CALENDAR_API_BASE ? { GOOGLE_CALENDAR_API_BASE: config.GOOGLE_CALENDAR_API_BASE } : {}),
    ...(config.MS_GRAPH_API_BASE ? { MS_GRAPH_API_BASE: config.MS_GRAPH_API_BASE } : {}),
    ...(config.CALENDLY_API_BASE ? { CALENDLY_API_BASE: config.CALENDLY_API_BASE } : {}),
  });
}

function environmentCalendar(config: CalendarConfig, sources: CalendarSources): Calendar {
  const provider = config.CALENDAR_PROVIDER ?? 'builtin';
  switch (provider) {
    case 'builtin':
      return new BuiltinCalendar();
    case 'google': {
      const calendarId = config.GOOGLE_CALENDAR_ID;
      const token = sources.googleToken ?? staticToken(config.GOOGLE_ACCESS_TOKEN);
      if (!calendarId || !token) throw missingFor(provider, { GOOGLE_CALENDAR_ID: calendarId, GOOGLE_ACCESS_TOKEN: token });
      return new GoogleCalendar({ calendarId, token, ...(config.GOOGLE_CALENDAR_API_BASE ? { apiBase: config.GOOGLE_CALENDAR_API_BASE } : {}) });
    }
    case 'microsoft': {
      const token = sources.microsoftToken ?? staticToken(config.MS_GRAPH_TOKEN);
      if (!token) throw missingFor(provider, { MS_GRAPH_TOKEN: token });
      return new MicrosoftCalendar({
        token,
        ...(config.MS_CALENDAR_USER ? { user: config.MS_CALENDAR_USER } : {}),
        ...(config.MS_GRAPH_API_BASE ? { apiBase: config.MS_GRAPH_API_BASE } : {}),
      });
    }
    case 'calendly': {
      const token = staticToken(config.CALENDLY_TOKEN);
      const eventTypeUri = config.CALENDLY_EVENT_TYPE_URI;
      if (!token || !eventTypeUri) throw missingFor(provider, { CALENDLY_TOKEN: token, CALENDLY_EVENT_TYPE_URI: eventTypeUri });
      return new CalendlyCalendar({ token, eventTypeUri, ...(config.CALENDLY_API_BASE ? { apiBase: config.CALENDLY_API_BASE } : {}) });
    }
  }
}
