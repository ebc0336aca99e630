/**
 * How many billed SMS parts a text needs (`messageParts` in AT's send response).
 * GSM 03.38: 160 septets in one part, 153 per part when concatenated; characters of the
 * extension table take two septets. Anything outside GSM-7 makes the whole text UCS-2:
 * 70 UTF-16 code units in one part, 67 per part when concatenated.
 */

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENDED = '^{}\\[~]|€\f';

const basic = new Set(GSM_BASIC);
const extended = new Set(GSM_EXTENDED);

/** GSM-7 septet count, or null when the text needs UCS-2. */
export function gsmSeptets(text: string): number | null {
  let n = 0;
  for (const ch of text) {
    if (basic.has(ch)) n += 1;
    else if (extended.has(ch)) n += 2;
    else return null;
  }
  return n;
}

export function messageParts(text: string): number {
  const septets = gsmSeptets(text);
  if (septets !== null) return septets <= 160 ? 1 : Math.ceil(septets / 153);
  const units = text.length; // UTF-16 code units = UCS-2 characters on the wire
  return units <= 70 ? 1 : Math.ceil(units / 67);
}
