/**
 * Phone number parsing/validation with CHT semantics
 * (https://github.com/medic/cht-core/blob/master/shared-libs/phone-number/src/phone-number.js).
 */
export { normalize, validate, same } from './phone-number.js';
export type { PhoneSettings, PhoneValidation } from './phone-number.js';
export { regionForCallingCode } from './region.js';
export { callingCode } from './calling-code.js';
