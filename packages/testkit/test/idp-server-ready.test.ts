import { createConnection, createServer } from 'node:net';
import { startIdpServer } from '@samlkit/testkit';
import { describe, expect, it } from 'vitest';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once a TCP connection to the port succeeds (tries every few ms, up to 2000 times). */
async function portOpen(port: number): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`port ${port} never opened`);
}

describe('test IdP server readiness', () => {
  it('a request made the instant its port accepts connections is answered (keys made before listen)', async () => {
    const port = await freePort();
    const starting = startIdpServer({ port });
    await portOpen(port);
    const res = await fetch(`http://127.0.0.1:${port}/metadata`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('IDPSSODescriptor');
    const server = await starting;
    await server.stop();
  });

  it('a request made the instant the start promise resolves is answered', async () => {
    const server = await startIdpServer();
    try {
      const res = await fetch(`${server.url}/metadata`);
      expect(res.status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});
