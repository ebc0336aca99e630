/**
 * SMS length counting, CHT-compatible truncation (cht-core shared-libs/message-utils/src/index.js),
 * smart encoding, encoding estimates and send costs.
 */
export { countParts, truncateToParts, DEFAULT_MULTIPART_LIMIT } from './length.js';
export type { SmsEncoding, TruncatedMessage } from './length.js';
export { isGsm7, septetCount } from './gsm7.js';
export { smartEncode, SMART_ENCODING_REPLACEMENTS } from './smart-encoding.js';
export type { SmartEncoded } from './smart-encoding.js';
export { describeText } from './estimate.js';
export type { DescribeOptions, TextDescription, TextEncoding } from './estimate.js';
export { parseAtCost, formatCost, estimateCost } from './cost.js';
export type { Cost, CostSample } from './cost.js';
