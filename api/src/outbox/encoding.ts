/**
 * Smart encoding at send time (`sms.smart_encoding`, default on): typographic look-alikes
 * (curly quotes, long dashes, ellipsis…) become their GSM-7 forms when that is all that keeps a
 * text out of GSM-7, so it is billed in 160-character parts instead of 70 (shared-libs/message-utils
 * smartEncode). The task keeps the text as written; what went out is stored beside it.
 */
import { describeText, type TextDescription } from '../../../shared-libs/message-utils/index.js';
import { findTask } from '../../../shared-libs/task-utils/index.js';
import type { MessageDoc } from '../../../shared-libs/task-utils/types.js';
import type { AppSettings } from '../settings/schema.js';
import type { SendOutcome } from '../sms/types.js';

export function smartEncodingOn(settings: AppSettings): boolean {
  return settings.sms?.smart_encoding !== false;
}

export function describeForSending(text: string, settings: AppSettings): TextDescription {
  return describeText(text, { smartEncoding: smartEncodingOn(settings) });
}

/**
 * After an accepted send: `sent_message` on the message when it differs from the text as
 * written, and `message_parts` when the provider did not report them.
 */
export function noteSentMutation(uuid: string, sent: TextDescription, outcome: SendOutcome) {
  return (doc: MessageDoc): boolean => {
    const task = findTask(doc, uuid);
    const msg = task?.messages?.find((m) => m.uuid === uuid);
    if (!task || !msg) return false;
    let changed = false;
    if (sent.smart_encoded && msg.sent_message !== sent.sent_text) {
      msg.sent_message = sent.sent_text;
      changed = true;
    }
    const reported = outcome.ok ? outcome.parts : undefined;
    if (reported === undefined && task.message_parts === undefined) {
      task.message_parts = sent.parts;
      changed = true;
    }
    return changed;
  };
}
