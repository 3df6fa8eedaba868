/**
 * Picks the Calendar adapter from configuration (`CALENDAR_PROVIDER`); used by
 * the composition root. A provider chosen without its credentials fails here,
 * at start-up, naming the missing variables (never their values).
 */
import type { Calendar } from '../../core/booking/ports';
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
}

function staticToken(token: string | undefined): BearerTokenProvider | undefined {
  return token ? async () => token : undefined;
}

/** The error naming every variable a provider still needs (only the names: values may be secrets). */
function missingFor(provider: string, values: Readonly<Record<string, unknown>>): Error {
  const missing = Object.keys(values).filter((k) => values[k] === undefined || values[k] === '');
  return new Error(`configuration error: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set (CALENDAR_PROVIDER is ${provider})`);
}

/** The Calendar of this environment; throws at start-up when the chosen provider lacks its credentials. */
export function calendarFromConfig(config: CalendarConfig, sources: CalendarSources = {}): Calendar {
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
