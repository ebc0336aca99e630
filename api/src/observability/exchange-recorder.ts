/**
 * An undici interceptor that records every request made through the dispatcher the core gives
 * services as `ctx.http`: a provider call is logged whether or not its service remembers to
 * (send, inbox fetch, balance check, any later call). Headers are never recorded (they carry the
 * API key); bodies are redacted by the exchange log before they are stored. The messages the
 * call concerns come from the exchange scope (sms/exchange-scope.ts) current at dispatch time.
 */
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import { currentExchangeScope } from '../sms/exchange-scope.js';
import { MAX_BODY_CHARS } from './exchange-redaction.js';
import type { ExchangeInput } from './exchanges.js';

/** Characters of a response body kept for the log (more than the stored limit: redaction may shorten). */
const KEEP_CHARS = MAX_BODY_CHARS * 2;

export interface ExchangeSink {
  record(input: ExchangeInput): void;
}

function requestBodyText(body: Dispatcher.DispatchOptions['body']): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  return '[streamed body not recorded]';
}

function urlOf(opts: Dispatcher.DispatchOptions): string {
  const origin = opts.origin === undefined ? '' : String(opts.origin).replace(/\/+$/, '');
  return `${origin}${opts.path}`;
}

export function recordingInterceptor(sink: ExchangeSink, now: () => Date): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (opts, handler) => {
    const at = now();
    const started = performance.now();
    const scope = currentExchangeScope();
    let status = 0;
    let body = '';
    const decoder = new TextDecoder();
    let done = false;
    const finish = (error?: Error): void => {
      if (done) return;
      done = true;
      sink.record({
        direction: 'outgoing',
        ...(scope?.service ? { service: scope.service } : {}),
        at,
        method: opts.method,
        url: urlOf(opts),
        status,
        elapsedMs: performance.now() - started,
        ...(opts.body !== undefined && opts.body !== null ? { requestBody: requestBodyText(opts.body) } : {}),
        ...(status > 0 ? { responseBody: body + decoder.decode() } : {}),
        ...(error ? { error: `${error.name}: ${error.message}` } : {}),
        messageIds: scope ? [...scope.messageIds] : [],
      });
    };
    const recording: Dispatcher.DispatchHandler = {
      onRequestStart: (controller, context: unknown) => handler.onRequestStart?.(controller, context),
      onRequestUpgrade: (controller, statusCode, headers, socket) =>
        handler.onRequestUpgrade?.(controller, statusCode, headers, socket),
      onResponseStart: (controller, statusCode, headers, statusMessage) => {
        status = statusCode;
        handler.onResponseStart?.(controller, statusCode, headers, statusMessage);
      },
      onResponseData: (controller, chunk) => {
        if (body.length < KEEP_CHARS) body += decoder.decode(chunk, { stream: true });
        handler.onResponseData?.(controller, chunk);
      },
      onResponseEnd: (controller, trailers) => {
        finish();
        handler.onResponseEnd?.(controller, trailers);
      },
      onResponseError: (controller, error) => {
        finish(error);
        handler.onResponseError?.(controller, error);
      },
    };
    return dispatch(opts, recording);
  };
}
