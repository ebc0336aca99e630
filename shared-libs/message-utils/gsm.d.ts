// Types for the untyped `gsm` package (CommonJS, used by CHT's message-utils to count SMS parts).
declare module 'gsm' {
  interface GsmResult {
    /** Number of SMS needed (0 for empty text). */
    sms_count: number;
    chars_left: number;
    /** 'GSM 03.38' or 'Unicode'. */
    char_set: string;
    /** The text split as the network would split it (153 GSM / 67 UCS-2 units per part when multipart). */
    parts: string[];
  }
  function gsm(content: string): GsmResult;
  export default gsm;
}
