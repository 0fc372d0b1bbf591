import { chooseLogoutResponseEndpoint, type Endpoint } from '@samlkit/core';
import { describe, expect, it } from 'vitest';

const redirect: Endpoint = {
  binding: 'redirect',
  location: 'https://idp.example/slo/r',
  responseLocation: 'https://idp.example/slo/r-resp',
};
const post: Endpoint = { binding: 'post', location: 'https://idp.example/slo/p' };
const simpleSign: Endpoint = { binding: 'simpleSign', location: 'https://idp.example/slo/s' };

describe('chooseLogoutResponseEndpoint', () => {
  it('answers on the binding the request came in on, preferring ResponseLocation', () => {
    expect(
      chooseLogoutResponseEndpoint('redirect', { singleLogoutServices: [post, redirect] }),
    ).toEqual({
      binding: 'redirect',
      location: 'https://idp.example/slo/r-resp',
    });
    expect(
      chooseLogoutResponseEndpoint('post', { singleLogoutServices: [redirect, post] }),
    ).toEqual({
      binding: 'post',
      location: 'https://idp.example/slo/p',
    });
    expect(
      chooseLogoutResponseEndpoint('simpleSign', { singleLogoutServices: [redirect, simpleSign] })
        ?.binding,
    ).toBe('simpleSign');
  });

  it('falls back to what the IdP metadata offers', () => {
    expect(
      chooseLogoutResponseEndpoint('post', { singleLogoutServices: [redirect] })?.binding,
    ).toBe('redirect');
    expect(
      chooseLogoutResponseEndpoint('simpleSign', { singleLogoutServices: [redirect, post] })
        ?.binding,
    ).toBe('post');
    expect(
      chooseLogoutResponseEndpoint('redirect', { singleLogoutServices: [post] })?.binding,
    ).toBe('post');
    expect(chooseLogoutResponseEndpoint('redirect', {})).toBeUndefined();
  });

  it('answers a SOAP request in the SOAP response', () => {
    expect(chooseLogoutResponseEndpoint('soap', { singleLogoutServices: [redirect] })).toEqual({
      binding: 'soap',
    });
  });
});

describe('logoutStatusForError', () => {
  it('maps refusals to SAML status codes without details', async () => {
    const { SamlError, logoutStatusForError, createLogoutResponse, parseLogoutResponse } =
      await import('@samlkit/core');
    const err = (code: ConstructorParameters<typeof SamlError>[0]) =>
      new SamlError(code, 'x', { found: 'secret' });
    expect(logoutStatusForError(err('SIGNATURE_INVALID'))).toEqual({
      code: 'Requester',
      subCode: 'RequestDenied',
      message: 'SIGNATURE_INVALID',
    });
    expect(logoutStatusForError(err('REPLAY_DETECTED')).subCode).toBe('RequestDenied');
    expect(logoutStatusForError(err('SESSION_NOT_FOUND')).subCode).toBe('UnknownPrincipal');
    expect(logoutStatusForError(err('XML_PARSE_ERROR'))).toEqual({
      code: 'Requester',
      message: 'XML_PARSE_ERROR',
    });
    expect(logoutStatusForError(err('MESSAGE_VERSION_UNSUPPORTED')).code).toBe('VersionMismatch');
    expect(logoutStatusForError(err('STORE_UNAVAILABLE')).code).toBe('Responder');
    expect(logoutStatusForError(new Error('boom'))).toEqual({
      code: 'Responder',
      message: 'internal error',
    });
    const { xml } = createLogoutResponse({
      issuer: 'https://sp',
      inResponseTo: '_r',
      now: 0,
      status: logoutStatusForError(err('EXPIRED')),
    });
    expect(parseLogoutResponse(xml).status).toMatchObject({
      code: 'urn:oasis:names:tc:SAML:2.0:status:Requester',
      subCode: 'urn:oasis:names:tc:SAML:2.0:status:RequestDenied',
      success: false,
    });
    expect(xml).not.toContain('secret');
  });
});
