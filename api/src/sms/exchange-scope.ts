/**
 * Which service and which messages the provider exchanges of the current async work concern.
 * The core opens a scope around a callback route's handling and a job's run; a service wraps a
 * provider call in `aboutMessages(ids, fn)`; core operations (storing an incoming message,
 * applying a status update) add the messages they touched. The exchange log reads the scope
 * when it records (observability/exchange-recorder.ts). AsyncLocalStorage carries it through
 * awaits, so nothing needs threading through signatures.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface ExchangeScope {
  service?: string;
  messageIds: Set<string>;
}

const storage = new AsyncLocalStorage<ExchangeScope>();

/** The scope of the current async work, if any. */
export function currentExchangeScope(): ExchangeScope | undefined {
  return storage.getStore();
}

/** Runs `fn` in a new scope (the service is inherited unless given). */
export function withExchangeScope<T>(scope: { service?: string; messageIds?: Iterable<string> }, fn: () => T): T {
  const service = scope.service ?? storage.getStore()?.service;
  return storage.run({ ...(service ? { service } : {}), messageIds: new Set(scope.messageIds ?? []) }, fn);
}

/** Runs `fn` in the given scope object (the caller reads what was added to it afterwards). */
export function runInExchangeScope<T>(scope: ExchangeScope, fn: () => T): T {
  return storage.run(scope, fn);
}

/** Runs a provider call tied to these messages: its exchange is listed with each of them. */
export function aboutMessages<T>(ids: Iterable<string>, fn: () => T): T {
  return withExchangeScope({ messageIds: ids }, fn);
}

/** Adds messages to the current scope (no scope: nothing to do). */
export function concernMessages(ids: Iterable<string>): void {
  const scope = storage.getStore();
  if (!scope) return;
  for (const id of ids) scope.messageIds.add(id);
}
