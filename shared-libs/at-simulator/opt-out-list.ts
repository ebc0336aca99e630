/**
 * The opt-outs a simulator has recorded: AT refuses sends they cover with 406 `UserInBlacklist`
 * (https://github.com/AfricasTalkingLtd/africastalking-node.js/issues/160).
 */

const key = (senderId: string | undefined, number: string): string => `${senderId ?? ''}\n${number}`;

/** The numbers that opted out, per sender id; an opt-out without a sender id covers every sender. */
export class OptOutList {
  private readonly keys = new Set<string>();

  add(senderId: string | undefined, number: string): void {
    this.keys.add(key(senderId, number));
  }

  /** Whether a send from `from` (null: none given) to `number` is refused. */
  blocks(from: string | null, number: string): boolean {
    return this.keys.has(key(undefined, number)) || (from !== null && this.keys.has(key(from, number)));
  }

  clear(): void {
    this.keys.clear();
  }
}
