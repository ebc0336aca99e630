/**
 * A service's parsed settings (`OutgoingService.parseSettings`), parsed once per `sms` settings
 * object: parsing is a pure function of that object, and the settings service replaces it on every
 * change (settings/settings.ts). Callbacks, sends and jobs ask for them on every request, send and
 * run; the value, or the error parsing raised, is remembered with the object.
 */
import type { AppSettings } from '../settings/schema.js';
import type { OutgoingService } from './types.js';

type Parsed = { value: unknown } | { error: unknown };

const parsed = new WeakMap<OutgoingService, WeakMap<object, Parsed>>();

function parse(service: OutgoingService, sms: AppSettings['sms']): Parsed {
  try {
    return { value: service.parseSettings(sms) };
  } catch (error) {
    return { error };
  }
}

/** The service's settings; throws what parsing threw (e.g. a missing username). */
export function serviceSettings(service: OutgoingService, sms: AppSettings['sms']): unknown {
  let result: Parsed | undefined;
  if (sms) {
    let byObject = parsed.get(service);
    if (!byObject) parsed.set(service, (byObject = new WeakMap()));
    result = byObject.get(sms);
    if (!result) byObject.set(sms, (result = parse(service, sms)));
  } else {
    result = parse(service, sms);
  }
  if ('error' in result) throw result.error;
  return result.value;
}

/** The service's settings, or undefined while they do not parse (callbacks and jobs run anyway). */
export function serviceSettingsIfValid(service: OutgoingService, sms: AppSettings['sms']): unknown {
  try {
    return serviceSettings(service, sms);
  } catch {
    return undefined;
  }
}
