/** Phone number parsing/validation with CHT semantics (cht-sms.md §1.9). */
export { normalize, validate, same } from './phone-number.js';
export type { PhoneSettings, PhoneValidation } from './phone-number.js';
export { regionForCallingCode } from './region.js';
