import { createSamlExpress } from '@samlkit/express';
import { runAdapterConformance } from '@samlkit/testkit';
import express from 'express';
import { describe, test } from 'vitest';
import { serve } from '../../../test/support/servers.js';

describe('Express 5 at the root', () => {
  runAdapterConformance(
    {
      async start(options) {
        const saml = createSamlExpress(options);
        const app = express();
        app.use(saml.routes);
        app.get('/app/protected', saml.requireSession(), (req, res) => {
          res.json(req.samlSession);
        });
        app.get('/app/public', (_req, res) => {
          res.type('text/plain').send('public');
        });
        return serve(app);
      },
    },
    { test },
  );
});

describe('Express 5 under a mount path, after express.urlencoded() and express.text()', () => {
  // The SAML routes mounted at /saml and the app under /app: URLs are built from originalUrl,
  // and a body parser that already read the form does not hide it from samlkit.
  runAdapterConformance(
    {
      async start(options) {
        const saml = createSamlExpress(options);
        const app = express();
        app.use(express.urlencoded({ extended: false }));
        app.use(express.text({ type: ['text/xml'] }));
        app.use('/saml', saml.routes);
        const inner = express.Router();
        inner.get('/protected', saml.requireSession(), (req, res) => {
          res.json(req.samlSession);
        });
        inner.get('/public', (_req, res) => {
          res.type('text/plain').send('public');
        });
        app.use('/app', inner);
        return serve(app);
      },
    },
    { test },
  );
});
