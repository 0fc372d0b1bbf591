import { join } from 'node:path';
import {
  createSelfSignedCertificate,
  fingerprint,
  type GeneratedKeyAlgorithm,
} from '@samlkit/core';
import { type Command, stringFlag, UsageError } from '../command.js';

const usage = `Usage: samlkit keys [--out DIR] [--cn NAME] [--days N] [--alg rsa2048|rsa3072|p256]

Creates an SP key pair and a self-signed certificate, as PEM files:
  DIR/sp-key.pem    the private key (PKCS#8, file mode 0600) - keep it secret
  DIR/sp-cert.pem   the certificate, published in SP metadata

SAML uses the certificate only as a container for the public key, so self-signed is normal.
For a key rollover, create the next pair in another directory, announce its certificate in
the SP metadata next to the current one, and switch the active key once the IdPs have it.

Options:
  --out DIR        where to write (default: the current directory)
  --cn NAME        certificate subject common name (default: samlkit-sp)
  --days N         validity in days (default 730)
  --alg ALG        rsa2048 (default), rsa3072 or p256
  --force          overwrite existing files
  -h, --help       show this help
`;

const ALGS: readonly GeneratedKeyAlgorithm[] = ['rsa2048', 'rsa3072', 'p256'];

const command: Command = {
  summary: 'create an SP key pair and self-signed certificate (PEM)',
  usage,
  options: {
    out: { type: 'string' },
    cn: { type: 'string' },
    days: { type: 'string' },
    alg: { type: 'string' },
    force: { type: 'boolean' },
  },
  async run(args, io) {
    const dir = stringFlag(args, 'out') ?? '.';
    const cn = stringFlag(args, 'cn') ?? 'samlkit-sp';
    const daysText = stringFlag(args, 'days') ?? '730';
    const days = Number(daysText);
    if (!/^\d+$/.test(daysText) || days < 1 || days > 36_500) {
      throw new UsageError(
        `--days needs a whole number of days (1-36500), not ${JSON.stringify(daysText)}`,
      );
    }
    const alg = (stringFlag(args, 'alg') ?? 'rsa2048') as GeneratedKeyAlgorithm;
    if (!ALGS.includes(alg)) throw new UsageError(`--alg must be one of ${ALGS.join(', ')}`);
    const keyPath = join(dir, 'sp-key.pem');
    const certPath = join(dir, 'sp-cert.pem');
    if (args.values.force !== true) {
      for (const p of [keyPath, certPath]) {
        const exists = await io.readFile(p).then(
          () => true,
          () => false,
        );
        if (exists) {
          throw Object.assign(new Error(`${p} exists; pass --force to overwrite it`), {
            code: 'FILE_EXISTS',
          });
        }
      }
    }
    const generated = await createSelfSignedCertificate({ subject: cn, days, alg, now: io.now() });
    await io.writeFile(keyPath, generated.privateKeyPem, 0o600);
    await io.writeFile(certPath, generated.certificatePem);
    const cert = generated.publicKey.certificate!;
    io.stdout(
      [
        `wrote ${keyPath} (private key, keep it secret)`,
        `wrote ${certPath}`,
        `subject      ${cert.subject}`,
        `algorithm    ${alg}`,
        `SHA-256      ${await fingerprint(cert.der)}`,
        `valid        ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()}`,
        '',
      ].join('\n'),
    );
    return 0;
  },
};

export default command;
