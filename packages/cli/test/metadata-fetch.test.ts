// The CLI downloads metadata by the same rules as the library (fetchMetadataXml): only https, no
// redirect from https to http, and a body capped while it streams. The transport is the CLI's
// injected fetch; the redirects and streams it answers with are real Response objects.
import { type CliIo, main } from '@samlkit/cli';
import { describe, expect, it } from 'vitest';

function io(fetch: CliIo['fetch']) {
  let stdout = '';
  const cli: CliIo = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: () => {},
    readStdin: async () => '',
    readFile: async (path) => {
      throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    },
    writeFile: async () => {},
    fetch,
    now: () => new Date('2026-11-23T18:00:00Z'),
  };
  return { cli, out: () => stdout };
}

const requested: string[] = [];
const attacker = 'http://idp.example/metadata';
const fetchRedirectingToHttp: CliIo['fetch'] = async (input) => {
  const url = String(input);
  requested.push(url);
  if (url.startsWith('https:')) {
    return new Response(null, { status: 302, headers: { location: attacker } });
  }
  return new Response('<EntityDescriptor/>', { status: 200 });
};

describe('samlkit metadata downloads', () => {
  for (const argv of [
    ['idp-metadata', 'https://idp.example/metadata'],
    [
      'verify',
      '-',
      '--idp-metadata',
      'https://idp.example/metadata',
      '--sp-entity-id',
      'https://sp.example/metadata',
      '--acs',
      'https://sp.example/acs',
    ],
  ]) {
    it(`${argv[0]}: a redirect from https to http is refused before http is asked`, async () => {
      requested.length = 0;
      const { cli, out } = io(fetchRedirectingToHttp);
      expect(await main(argv, cli)).toBe(1);
      expect(JSON.parse(out()).code).toBe('METADATA_FETCH_FAILED');
      expect(requested).toEqual(['https://idp.example/metadata']);
    });
  }

  it('a plain-http metadata URL on another host is refused without a request', async () => {
    requested.length = 0;
    const { cli, out } = io(fetchRedirectingToHttp);
    expect(await main(['idp-metadata', attacker], cli)).toBe(1);
    expect(JSON.parse(out()).code).toBe('CONFIG_INVALID');
    expect(requested).toEqual([]);
  });

  it('an endless body is refused once past the cap, not read whole', async () => {
    let sent = 0;
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    const { cli, out } = io(
      async () =>
        new Response(
          new ReadableStream<Uint8Array>({
            pull(controller) {
              sent += chunk.length;
              controller.enqueue(chunk);
            },
          }),
          { status: 200 },
        ),
    );
    expect(await main(['idp-metadata', 'https://idp.example/metadata'], cli)).toBe(1);
    expect(JSON.parse(out()).code).toBe('XML_TOO_LARGE');
    // The default cap is 3 MiB of UTF-8 (maxSize of 1 Mi characters): reading stops just past it.
    expect(sent).toBeLessThan(4 * 1024 * 1024);
  });
});
