import { createSpMetadata } from '@samlkit/core';
import { type Command, stringFlag, UsageError } from '../command.js';
import { loadSpConfigFile } from '../sp-config.js';

const usage = `Usage: samlkit metadata <config.json> [options]

Prints the SP's SAML 2.0 metadata (EntityDescriptor with SPSSODescriptor) built from an SP
configuration file: entity ID, AssertionConsumerService and SingleLogoutService endpoints,
signing and encryption certificates (several during a key rollover), NameID formats. Give the
output (or the URL where your app serves it) to the IdP administrator.

The configuration file is JSON; paths in it are relative to the file. Minimal example:
  { "entityId": "https://app.example.com/saml/metadata",
    "acs": "https://app.example.com/saml/acs",
    "slo": "https://app.example.com/saml/slo",
    "cert": "sp-cert.pem", "key": "sp-key.pem" }
The full reference is in docs/metadata.md.

Options:
  --config FILE    the configuration file (instead of the positional argument)
  --sign           sign the metadata with the active signing key (overrides the file)
  --out FILE       write the metadata to FILE instead of standard output
  -h, --help       show this help

Exit codes: 0 success, 1 failure ({"code", "message"} on stdout), 2 usage error.
`;

const command: Command = {
  summary: 'print SP metadata from a configuration file',
  usage,
  maxPositionals: 1,
  options: {
    config: { type: 'string' },
    sign: { type: 'boolean' },
    out: { type: 'string' },
  },
  async run(args, io) {
    const flag = stringFlag(args, 'config');
    const positional = args.positionals[0];
    if (flag !== undefined && positional !== undefined) {
      throw new UsageError('give the configuration file once: as an argument or with --config');
    }
    const path = flag ?? positional;
    if (path === undefined) throw new UsageError('give the SP configuration file (JSON)');
    const { sp, metadata } = await loadSpConfigFile(path, io, io.now().getTime());
    const xml = await createSpMetadata(
      sp,
      args.values.sign === true ? { ...metadata, sign: true } : metadata,
    );
    const out = stringFlag(args, 'out');
    if (out !== undefined) {
      await io.writeFile(out, `${xml}\n`);
      io.stderr(`wrote ${out}\n`);
    } else {
      io.stdout(`${xml}\n`);
    }
    return 0;
  },
};

export default command;
