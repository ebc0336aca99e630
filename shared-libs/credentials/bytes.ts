/**
 * Why this exists: @types/pouchdb-core declares a global `interface Buffer extends Uint8Array`,
 * which, merged with @types/node under TypeScript 5.9, makes `Buffer` no longer assignable to
 * `Uint8Array`/`BinaryLike` anywhere in a program that also compiles the PouchDB code. Passing a
 * plain Uint8Array view (same memory, no copy) to node:crypto keeps this library type-checking in
 * the whole project; at runtime it is identical.
 */
export function view(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
