// The demo's pages: the "SP metadata" link shows the XML in the browser (application/xml) rather
// than downloading it (application/samlmetadata+xml, what IdPs read at /saml/metadata).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/support/demo-process.js';
// @ts-expect-error: the demo is plain JavaScript without declarations
import { startDemo } from '../app.mjs';

interface Demo {
  readonly url: string;
  stop(): Promise<void>;
}

describe('the demo pages', () => {
  let demo: Demo;
  beforeAll(async () => {
    demo = (await startDemo({ PORT: String(await freePort()), HOST: 'localhost' })) as Demo;
  });
  afterAll(() => demo?.stop());

  it('links "SP metadata" to a page a browser shows', async () => {
    const home = await (await fetch(`${demo.url}/`)).text();
    expect(home).toContain('<a href="/sp-metadata.xml">SP metadata</a>');
    const shown = await fetch(`${demo.url}/sp-metadata.xml`);
    expect(shown.headers.get('content-type')).toMatch(/^application\/xml/);
    const served = await fetch(`${demo.url}/saml/metadata`);
    expect(served.headers.get('content-type')).toMatch(/^application\/samlmetadata\+xml/);
    expect(await shown.text()).toBe(await served.text());
  });
});
