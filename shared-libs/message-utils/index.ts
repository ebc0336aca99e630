/** SMS length counting and CHT-compatible truncation (cht-sms.md §1.7). */
export { countParts, truncateToParts, DEFAULT_MULTIPART_LIMIT } from './length.js';
export type { SmsEncoding, TruncatedMessage } from './length.js';
