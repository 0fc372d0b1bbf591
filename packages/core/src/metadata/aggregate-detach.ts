// What outlives a verified federation aggregate must not keep its text alive. A string read from
// the text (an entityID, a display name, an error's "found") can be a view into the whole text, so
// a discovery page that kept last week's entity list, or a refusal kept as `lastError`, would keep
// tens of megabytes of an aggregate no longer in force. These helpers copy such strings.
import { SamlError, type SamlErrorCode } from '../errors.js';
import type { AggregateEntitySummary, MutableSummary } from './aggregate-types.js';

/**
 * Makes the subject of the last successful regular-expression match a short string of its own.
 * JavaScript keeps that subject for the legacy `RegExp.input` (`RegExp.$_`, ECMAScript Annex B's
 * legacy RegExp features) until another match succeeds; after reading an aggregate it is a view
 * into the aggregate's text, which it would keep alive after the aggregate itself is dropped.
 * @internal
 */
export function forgetLastMatch(): void {
  /^/.exec('');
}

/** A copy of `s` that shares no memory with the string it was cut from. */
function ownString(s: string): string {
  // Concatenating makes a new string; reading a part of it flattens it into new memory of its
  // own, so the result refers to that copy, never to the text `s` may be a view into.
  return ` ${s}`.slice(1);
}

/** `value` with every string in it (arrays and plain objects walked) copied; frozen as it was. */
function detached<T>(value: T): T {
  if (typeof value === 'string') return ownString(value) as T;
  if (Array.isArray(value)) {
    const copy = value.map(detached);
    return (Object.isFrozen(value) ? Object.freeze(copy) : copy) as T;
  }
  if (value !== null && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) copy[k] = detached(v);
    return (Object.isFrozen(value) ? Object.freeze(copy) : copy) as T;
  }
  return value;
}

/**
 * An entity's summary as the index keeps and hands out: frozen, its strings its own (not views
 * into the aggregate's text).
 * @internal
 */
export function detachedSummary(summary: MutableSummary): AggregateEntitySummary {
  return Object.freeze(detached({ ...summary }));
}

/**
 * `error` without the refused document (`raw`) and with its details' strings copied: what a
 * source keeps (`lastError`) and reports of a refused aggregate must not keep its text alive.
 * The same code, message and details; not the `cause` (it may hold the text too).
 * @internal
 */
export function withoutText(error: SamlError): SamlError {
  if (error.raw === undefined) return error;
  const code: SamlErrorCode = error.code;
  // The message is `[code] summary` and then the details' sentences (errors.ts), which the new
  // error composes again from the same details: only the summary is taken from the message.
  const tail = new SamlError(code, '', error.details).message.slice(`[${code}] `.length);
  const summary = error.message.slice(`[${code}] `.length, error.message.length - tail.length);
  return new SamlError(code, ownString(summary), detached({ ...error.details }));
}
