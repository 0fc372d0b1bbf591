import {
  createLogoutRequest,
  createLogoutResponse,
  createSoapEnvelope,
  encodeRedirect,
  encodeSimpleSign,
  type IncomingSamlMessage,
  type LogoutStatusOptions,
  type PublicKey,
  SOAP_CONTENT_TYPE,
  signXml,
} from '@samlkit/core';
import type { TestNameId, TestSigningKey } from './response.js';

/** The bindings a test IdP can send logout messages on. */
export type TestLogoutBinding = 'redirect' | 'post' | 'simpleSign' | 'soap';

/** The HTTP request that carries a logout message to the SP's SLO endpoint. */
export interface TestHttpRequest {
  readonly method: 'GET' | 'POST';
  /** The full URL (with the query for Redirect). */
  readonly url: string;
  /** `application/x-www-form-urlencoded` (POST, SimpleSign) or `text/xml; charset=utf-8` (SOAP). */
  readonly contentType?: string;
  readonly body?: string;
}

/** A logout message as the test IdP sends it. */
export interface TestLogoutDelivery {
  /** The message ID (a LogoutResponse to it must carry it in InResponseTo). */
  readonly id: string;
  /** The unsigned message XML. */
  readonly xml: string;
  /** The HTTP request a browser (front channel) or the IdP (SOAP) would make. */
  readonly http: TestHttpRequest;
  /** The same message in the shape `validateLogoutRequest`/`validateLogoutResponse` take. */
  readonly incoming: IncomingSamlMessage;
}

/** Options of {@link buildLogoutRequest}. */
export interface BuildLogoutRequestOptions {
  readonly idpEntityId: string;
  /** The SP SingleLogoutService URL (Destination, and where the request is sent). */
  readonly spSloUrl: string;
  readonly nameId: TestNameId;
  readonly sessionIndexes?: readonly string[];
  readonly binding: TestLogoutBinding;
  /** Signs the binding's way; omit for an unsigned message. */
  readonly signingKey?: TestSigningKey;
  readonly relayState?: string;
  readonly now: number | Date;
  /** Default now + 5 minutes; `null` omits it. */
  readonly notOnOrAfter?: number | null;
  readonly reason?: string;
  /** Encrypt the NameID to this SP key (an EncryptedID). */
  readonly encryptTo?: PublicKey;
  /** Replace Destination (e.g. to test a wrong one); `null` omits it. */
  readonly destination?: string | null;
}

/** Options of {@link buildLogoutResponse}. */
export interface BuildLogoutResponseOptions {
  readonly idpEntityId: string;
  readonly spSloUrl: string;
  /** The SP's LogoutRequest ID. */
  readonly inResponseTo: string;
  readonly status?: LogoutStatusOptions;
  readonly binding: TestLogoutBinding;
  readonly signingKey?: TestSigningKey;
  readonly relayState?: string;
  readonly now: number | Date;
  readonly destination?: string | null;
}

function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

async function deliver(
  type: 'SAMLRequest' | 'SAMLResponse',
  id: string,
  xml: string,
  o: {
    binding: TestLogoutBinding;
    spSloUrl: string;
    relayState?: string | undefined;
    signingKey?: TestSigningKey | undefined;
  },
): Promise<TestLogoutDelivery> {
  const key = o.signingKey;
  const relay = o.relayState !== undefined ? { relayState: o.relayState } : {};
  const xmlSigned = async () =>
    key
      ? signXml(xml, {
          key: key.privateKey,
          ...(key.certificatePem ? { certificate: key.certificatePem } : {}),
        })
      : xml;
  const form = (fields: Readonly<Record<string, string>>): TestLogoutDelivery => ({
    id,
    xml,
    http: {
      method: 'POST',
      url: o.spSloUrl,
      contentType: 'application/x-www-form-urlencoded',
      body: new URLSearchParams(fields as Record<string, string>).toString(),
    },
    incoming: { binding: o.binding === 'simpleSign' ? 'simpleSign' : 'post', form: fields },
  });
  switch (o.binding) {
    case 'redirect': {
      const url = await encodeRedirect({
        destination: o.spSloUrl,
        type,
        xml,
        ...relay,
        allowLongRelayState: true,
        ...(key ? { sign: { key: key.privateKey } } : {}),
      });
      return {
        id,
        xml,
        http: { method: 'GET', url },
        incoming: { binding: 'redirect', query: url },
      };
    }
    case 'post':
      return form({
        [type]: base64(await xmlSigned()),
        ...(o.relayState !== undefined ? { RelayState: o.relayState } : {}),
      });
    case 'simpleSign':
      return form(
        key
          ? await encodeSimpleSign({ type, xml, sign: { key: key.privateKey }, ...relay })
          : {
              [type]: base64(xml),
              ...(o.relayState !== undefined ? { RelayState: o.relayState } : {}),
            },
      );
    case 'soap': {
      const body = createSoapEnvelope(await xmlSigned());
      return {
        id,
        xml,
        http: { method: 'POST', url: o.spSloUrl, contentType: SOAP_CONTENT_TYPE, body },
        incoming: { binding: 'soap', body },
      };
    }
  }
}

/**
 * Builds an IdP-initiated LogoutRequest and the HTTP request that delivers it to the SP on the
 * chosen binding, signed that binding's way (query signature, enveloped XML signature, SimpleSign
 * form signature).
 *
 * @param options - IdP, SP SLO URL, NameID, SessionIndexes, binding, key, RelayState, time
 * @returns the ID, the XML, the HTTP request and the `IncomingSamlMessage`
 * @example Logging a user out from the IdP over the back channel
 * ```ts
 * const { http } = await buildLogoutRequest({
 *   idpEntityId, spSloUrl, nameId: { value: 'alice' }, sessionIndexes: [si],
 *   binding: 'soap', signingKey: idp, now: Date.now(),
 * });
 * await fetch(http.url, { method: http.method, headers: { 'content-type': http.contentType! }, body: http.body });
 * ```
 * @see SAML profiles §4.4 (Single Logout)
 */
export async function buildLogoutRequest(
  options: BuildLogoutRequestOptions,
): Promise<TestLogoutDelivery> {
  const now = options.now instanceof Date ? options.now.getTime() : options.now;
  const destination = options.destination === undefined ? options.spSloUrl : options.destination;
  const notOnOrAfter = options.notOnOrAfter === undefined ? now + 5 * 60_000 : options.notOnOrAfter;
  const { id, xml } = await createLogoutRequest({
    issuer: options.idpEntityId,
    ...(destination !== null ? { destination } : {}),
    nameId: options.nameId,
    ...(options.sessionIndexes ? { sessionIndexes: options.sessionIndexes } : {}),
    ...(notOnOrAfter !== null ? { notOnOrAfter } : {}),
    ...(options.reason !== undefined ? { reason: options.reason } : {}),
    ...(options.encryptTo ? { encryptNameId: { key: options.encryptTo } } : {}),
    now,
  });
  return deliver('SAMLRequest', id, xml, options);
}

/**
 * Builds the IdP's LogoutResponse to an SP-initiated LogoutRequest and the HTTP request that
 * delivers it, on the chosen binding.
 *
 * @param options - IdP, SP SLO URL, InResponseTo, status, binding, key, RelayState, time
 * @returns the ID, the XML, the HTTP request and the `IncomingSamlMessage`
 * @example A partial logout answered over Redirect
 * ```ts
 * const { http } = await buildLogoutResponse({
 *   idpEntityId, spSloUrl, inResponseTo: requestId, binding: 'redirect', signingKey: idp,
 *   status: { code: 'Success', subCode: 'PartialLogout' }, now: Date.now(),
 * });
 * ```
 * @see SAML core §3.7.2
 */
export async function buildLogoutResponse(
  options: BuildLogoutResponseOptions,
): Promise<TestLogoutDelivery> {
  const destination = options.destination === undefined ? options.spSloUrl : options.destination;
  const { id, xml } = createLogoutResponse({
    issuer: options.idpEntityId,
    ...(destination !== null ? { destination } : {}),
    inResponseTo: options.inResponseTo,
    ...(options.status ? { status: options.status } : {}),
    now: options.now,
  });
  return deliver('SAMLResponse', id, xml, options);
}
