/**
 * Privacy in logs. Health programmes send SMS about pregnancies, HIV care and the like: the
 * phone number and the text together identify a patient, and logs travel further than the
 * database (log shippers, support tickets). So by default numbers are masked and message text is
 * never written; `sms.log_full_content: true` in app settings turns full logging on for
 * debugging, read at log time so it takes effect without a restart.
 *
 * Two layers: `LogPrivacy` for code that knowingly logs a number or a text, and
 * `privateLogger()`, a pino child whose redaction masks the usual field names anyway, so a
 * careless `logger.info({ to, text })` added later does not leak either.
 */
import type { Logger } from 'pino';
import { maskPhone } from './redact.js';

export type FullContentFlag = () => boolean;

/** Field names that hold a phone number or a message text when they appear in a log object. */
const PHONE_KEYS = ['to', 'from', 'phone', 'number', 'recipient'] as const;
const TEXT_KEYS = ['text', 'content', 'message', 'sms_text', 'body'] as const;

export const REDACTED_PATHS: string[] = [
  ...PHONE_KEYS,
  ...TEXT_KEYS,
  // One level down (e.g. `{ sms: { to, text } }`); not `err.message`, errors stay readable.
  ...PHONE_KEYS.map((k) => `*.${k}`),
  ...['text', 'content', 'sms_text'].map((k) => `*.${k}`),
];

/** What stands in for a message text in logs: its length only. */
export function describeText(text: unknown): string {
  return typeof text === 'string' ? `[${text.length} chars hidden]` : '[hidden]';
}

export class LogPrivacy {
  constructor(private readonly fullContent: FullContentFlag) {}

  get full(): boolean {
    try {
      return this.fullContent();
    } catch {
      return false;
    }
  }

  phone(value: unknown): unknown {
    return this.full ? value : maskPhone(value);
  }

  text(value: unknown): unknown {
    return this.full ? value : describeText(value);
  }
}

/**
 * A child logger that masks phone/text fields unless full logging is on. The censor runs per
 * log call, so the setting is honoured live. Children (fastify's request loggers) inherit it.
 */
export function privateLogger(logger: Logger, fullContent: FullContentFlag): Logger {
  const privacy = new LogPrivacy(fullContent);
  const phoneKeys = new Set<string>(PHONE_KEYS);
  return logger.child(
    {},
    {
      redact: {
        paths: REDACTED_PATHS,
        censor: (value: unknown, path: string[]): unknown => {
          const key = path[path.length - 1] ?? '';
          // Numbers are never phone numbers here (counts, ids); objects are summarised below.
          if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null)
            return value;
          if (phoneKeys.has(key)) return typeof value === 'string' ? privacy.phone(value) : privacy.text(value);
          return privacy.text(value);
        },
      },
    },
  );
}
