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
