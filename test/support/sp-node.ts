// One service-provider process for multi-process tests (the cluster proof): an Express app with
// @samlkit/express, its store chosen by configuration (a RedisStore shared with the other nodes,
// or a MemoryStore of its own). Bundled with esbuild and run with `node` by the test, so each node
// is a real separate process with its own memory.
//
// Configuration: the JSON in SAMLKIT_NODE_CONFIG (see NodeConfig). On start it prints
// `listening <port>` on stdout; SIGTERM closes the store and the server, then exits.
import type { AddressInfo } from 'node:net';
import { loadPrivateKey, loadPublicKey, MemoryStore, type SamlStore } from '@samlkit/core';
import { createSamlExpress } from '@samlkit/express';
import { RedisStore } from '@samlkit/redis';
import express from 'express';

/** What a node is told by the test that spawns it. */
export interface NodeConfig {
  /** Shown in the `x-samlkit-node` header of every answer. */
  readonly name: string;
  /** The public base URL (the load balancer in front of the nodes). */
  readonly baseUrl: string;
  /** `memory`, or the Redis URL every node shares. */
  readonly store: 'memory' | { readonly redisUrl: string };
  readonly spKeyPem: string;
  readonly spCertPem: string;
  readonly idpEntityId: string;
  readonly idpBaseUrl: string;
  readonly idpCertPem: string;
}

const config = JSON.parse(process.env.SAMLKIT_NODE_CONFIG ?? '') as NodeConfig;
const store: SamlStore & { close?(): Promise<void> } =
  config.store === 'memory'
    ? new MemoryStore()
    : new RedisStore({
        url: config.store.redisUrl,
        commandTimeoutMs: 1000,
        connectTimeoutMs: 1000,
        onConnectionError: (error) =>
          console.error(`[${config.name}] redis connection lost: ${error.message}`),
      });

const base = config.baseUrl;
const saml = createSamlExpress({
  sp: {
    entityId: `${base}/saml/metadata`,
    assertionConsumerServices: [{ binding: 'post', location: `${base}/saml/acs` }],
    singleLogoutServices: [
      { binding: 'redirect', location: `${base}/saml/slo` },
      { binding: 'post', location: `${base}/saml/slo` },
    ],
    signingKeys: [{ privateKey: loadPrivateKey(config.spKeyPem), certificate: config.spCertPem }],
  },
  idps: {
    entityId: config.idpEntityId,
    singleSignOnServices: [{ binding: 'redirect', location: `${config.idpBaseUrl}/sso` }],
    singleLogoutServices: [
      {
        binding: 'redirect',
        location: `${config.idpBaseUrl}/slo`,
        responseLocation: `${config.idpBaseUrl}/slo/response`,
      },
    ],
    signingKeys: [loadPublicKey(config.idpCertPem)],
  },
  baseUrl: base,
  store,
  logger: {
    warn: () => {},
    error: (message, details) =>
      console.error(`[${config.name}] ${message} ${details?.code ?? ''}`.trim()),
  },
});

const app = express();
app.use((_req, res, next) => {
  res.setHeader('x-samlkit-node', config.name);
  next();
});
app.use(saml.routes);
app.get('/app/protected', saml.requireSession(), (req, res) => {
  res.json(req.samlSession);
});
app.get('/app/public', (_req, res) => {
  res.type('text/plain').send(`public ${process.pid}`);
});

const server = app.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`listening ${port}\n`);
});

process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close();
  void Promise.resolve(store.close?.()).finally(() => process.exit(0));
});
