import { describe, expect, it } from 'vitest';
import { isLocalOrPrivateHostname, isLoopbackHostname } from '../../src/lib/private-host.js';

const host = (url: string): string => new URL(url).hostname;

describe('isLocalOrPrivateHostname', () => {
  it('recognises loopback, private and link-local hosts in every spelling URL normalises', () => {
    for (const url of [
      'http://127.0.0.1:9/',
      'http://2130706433/',
      'http://0x7f.1/',
      'http://localhost/',
      'http://app.localhost/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:10.1.2.3]/',
      'https://10.0.0.1/',
      'https://172.16.0.1/',
      'https://172.31.255.255/',
      'https://192.168.1.1/',
      'https://169.254.169.254/',
      'https://100.64.0.1/',
      'https://0.0.0.0/',
      'https://[fc00::1]/',
      'https://[fd12:3456::1]/',
      'https://[fe80::1]/',
      'https://[::]/',
    ]) {
      expect(isLocalOrPrivateHostname(host(url)), url).toBe(true);
    }
  });

  it('lets public hosts through', () => {
    for (const url of [
      'https://idp.example.org/',
      'https://8.8.8.8/',
      'https://172.32.0.1/',
      'https://192.169.0.1/',
      'https://[2001:db8::1]/',
      'https://[::ffff:8.8.8.8]/',
    ]) {
      expect(isLocalOrPrivateHostname(host(url)), url).toBe(false);
    }
  });

  it('tells loopback apart', () => {
    expect(isLoopbackHostname(host('http://localhost:4000/'))).toBe(true);
    expect(isLoopbackHostname(host('http://[::1]:4000/'))).toBe(true);
    expect(isLoopbackHostname(host('https://10.0.0.1/'))).toBe(false);
  });
});
