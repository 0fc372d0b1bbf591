import { isSamlError } from '../errors.js';
import type { Settings } from './settings.js';
import type { SamlLogEvent, SamlRoute, ServiceProviderLogger } from './types.js';

/** The IdP a request concerns, once the handler knows it (read by the refusal's log event). */
const idpOfRequest = new WeakMap<Request, string>();

/**
 * Notes which IdP a request concerns (the Issuer it claims), for the log event of a refusal.
 * Never trusted for anything else.
 * @internal
 */
export function noteIdp(request: Request, entityId: string | undefined): void {
  if (entityId !== undefined) idpOfRequest.set(request, entityId);
}

/** A request ID a proxy or the application set: short, and only characters safe in a log. */
const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;
/** An IPv4 or IPv6 address (with an optional zone or port is not accepted: plain addresses). */
const ADDRESS = /^(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9A-Fa-f:.]{2,45})$/;

/** The `X-Request-ID` header when it is well formed, else undefined. */
function requestIdOf(request: Request): string | undefined {
  const id = request.headers.get('x-request-id')?.trim();
  return id && REQUEST_ID.test(id) ? id : undefined;
}

/**
 * The client's address as the trusted proxy saw it: the last `X-Forwarded-For` entry (the one
 * the proxy in front of us appended; entries before it are the client's own claims). Only with
 * `trustProxy`: otherwise the header is anyone's to write.
 */
function clientAddressOf(s: Settings, request: Request): string | undefined {
  if (!s.options.trustProxy) return undefined;
  const entries = request.headers.get('x-forwarded-for')?.split(',') ?? [];
  const last = entries[entries.length - 1]?.trim().replace(/^\[|\]$/g, '');
  return last && ADDRESS.test(last) ? last : undefined;
}

/** Which endpoint a path is. */
function routeOf(s: Settings, pathname: string): SamlRoute {
  switch (pathname) {
    case s.paths.login:
      return 'login';
    case s.paths.acs:
      return 'acs';
    case s.paths.logout:
      return 'logout';
    case s.paths.slo:
      return 'slo';
    case s.paths.metadata:
      return 'metadata';
    default:
      return 'session';
  }
}

/** At most this many characters of an error's message go into an event. */
const MAX_MESSAGE = 600;

/**
 * The event for a refused or failed request: level, code, status, route, IdP, request ID, client
 * address (with `trustProxy`), and the error's one-sentence message with what was expected and
 * found. Built from the SamlError's message and facts only — never from the received message, its
 * XML or base64, cookies, RelayState or keys.
 * @internal
 */
export function refusalEvent(
  s: Settings,
  error: unknown,
  request: Request,
  status: number,
): SamlLogEvent {
  const url = new URL(request.url);
  const saml = isSamlError(error) ? error : undefined;
  const idp = idpOfRequest.get(request);
  const requestId = requestIdOf(request);
  const clientAddress = clientAddressOf(s, request);
  const message = saml
    ? saml.message
    : `unexpected failure: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
  return {
    level: status >= 500 ? 'error' : 'warn',
    event: saml ? 'refused' : 'failed',
    code: saml?.code ?? 'INTERNAL_ERROR',
    status,
    route: routeOf(s, url.pathname),
    method: request.method,
    path: url.pathname,
    ...(idp !== undefined ? { idpEntityId: idp } : {}),
    ...(requestId !== undefined ? { requestId } : {}),
    ...(clientAddress !== undefined ? { clientAddress } : {}),
    message: oneLine(message, MAX_MESSAGE),
    // A bug: where it happened (file and line numbers only; one JSON string, so still one line).
    ...(!saml && error instanceof Error && error.stack ? { stack: error.stack } : {}),
  };
}

/** `value` with control characters (line breaks among them) as spaces, at most `max` long. */
function oneLine(value: string, max: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we strip
  const flat = value.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, ' ');
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/**
 * Sends a refusal to the logger: to `event` when the logger has it, else to `warn`/`error` with
 * the event as details (what a logger written before `event` existed receives).
 * @internal
 */
export function logRefusal(logger: ServiceProviderLogger, e: SamlLogEvent): void {
  if (logger.event) {
    logger.event(e);
    return;
  }
  const { message, ...details } = e;
  if (e.level === 'error') logger.error(message, details);
  else logger.warn(message, details);
}

/** One JSON line: `JSON.stringify` escapes every line break, so an event is one line. */
function line(fields: Record<string, unknown>): string {
  return JSON.stringify(fields);
}

/**
 * The default logger: one JSON line per event on the console (`console.warn` for warnings,
 * `console.error` for errors; info is not written). Details passed to `warn`/`error` by samlkit's
 * other notices are flattened into the same line.
 * @internal
 */
export const defaultLogger: ServiceProviderLogger = Object.freeze({
  warn: (message: string, details?: Record<string, unknown>) =>
    console.warn(line({ level: 'warn', source: 'samlkit', message, ...details })),
  error: (message: string, details?: Record<string, unknown>) =>
    console.error(line({ level: 'error', source: 'samlkit', message, ...details })),
  event: (e: SamlLogEvent) => {
    const text = line({ source: 'samlkit', ...e });
    if (e.level === 'error') console.error(text);
    else if (e.level === 'warn') console.warn(text);
  },
});
