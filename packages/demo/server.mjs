// The samlkit demo. Until the framework adapters land this serves a page that describes what the
// demo will do, on the port the README names, so `pnpm start` already works.
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 3000);
const page = `<!doctype html><meta charset="utf-8"><title>samlkit demo</title>
<h1>samlkit demo</h1>
<p>The example app with the built-in test IdP arrives with the framework adapters.
Routes planned: /profile, /saml/login, /saml/acs, /saml/logout, /saml/slo, /saml/metadata.</p>`;

const server = createServer((req, res) => {
  res.writeHead(req.url === '/' ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
  res.end(req.url === '/' ? page : 'Not found');
});
server.listen(port, 'localhost', () => {
  console.log(`samlkit demo listening on http://localhost:${port}`);
});
