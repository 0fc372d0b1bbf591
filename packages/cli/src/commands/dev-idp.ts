import { type Command, stringFlag, stringList, UsageError } from '../command.js';

const usage = `Usage: samlkit dev-idp [--port N] [--host ADDR] [--sp-entity-id ID --sp-acs URL --sp-slo URL]
                      [--users FILE]

Runs the samlkit test Identity Provider as a local HTTP server, for development: a login page
with test users, SingleSignOnService (HTTP-Redirect and HTTP-POST), SingleLogoutService and IdP
metadata. Point your SP at its metadata URL; stop it with Ctrl-C. Never use it in production:
the passwords are the test users' own and AuthnRequest signatures are not checked.

Options:
  --port N           port to listen on (default 7000; 0 picks a free one)
  --host ADDR        loopback address to listen on (default 127.0.0.1)
  --entity-id ID     the IdP entity ID (default <url>/metadata)
  --sp-entity-id ID  an SP that may log in and log out (repeatable, with --sp-acs/--sp-slo in order)
  --sp-acs URL       that SP's AssertionConsumerService URL (the only one the IdP answers to)
  --sp-slo URL       that SP's SingleLogoutService URL (where logout messages go)
  --users FILE       JSON list of users: [{ "username", "password", "nameId",
                     "attributes": [{ "name", "values": [...] }] }] (default: alice, bob,
                     carol; the password is the username)
  -h, --help         show this help
`;

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/;

interface UserInput {
  readonly username: string;
  readonly password: string;
  readonly nameId: string;
  readonly attributes?: readonly { readonly name: string; readonly values: readonly string[] }[];
}

function parseUsers(text: string, path: string): UserInput[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--users ${path} is not JSON: ${(error as Error).message}`);
  }
  const bad = (why: string) => new UsageError(`--users ${path}: ${why}`);
  if (!Array.isArray(value) || value.length === 0) throw bad('expected a non-empty JSON list');
  return value.map((u: unknown, i) => {
    const user = u as Partial<UserInput> | null;
    for (const field of ['username', 'password', 'nameId'] as const) {
      if (typeof user?.[field] !== 'string' || user[field] === '') {
        throw bad(`user ${i} needs a string "${field}"`);
      }
    }
    const attributes = user!.attributes ?? [];
    if (
      !Array.isArray(attributes) ||
      !attributes.every(
        (a) =>
          typeof a?.name === 'string' &&
          Array.isArray(a.values) &&
          a.values.every((v: unknown) => typeof v === 'string'),
      )
    ) {
      throw bad(`user ${i}: "attributes" must be a list of { "name": string, "values": [string] }`);
    }
    return user as UserInput;
  });
}

/** Waits for Ctrl-C or SIGTERM. */
function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

const command: Command = {
  summary: 'run the test IdP (login page, SSO, SLO, metadata) as a local server',
  usage,
  options: {
    port: { type: 'string' },
    host: { type: 'string' },
    'entity-id': { type: 'string' },
    'sp-entity-id': { type: 'string', multiple: true },
    'sp-acs': { type: 'string', multiple: true },
    'sp-slo': { type: 'string', multiple: true },
    users: { type: 'string' },
  },
  async run(args, io) {
    const portText = stringFlag(args, 'port') ?? '7000';
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port > 65_535) {
      throw new UsageError(`--port needs a port number, not ${JSON.stringify(portText)}`);
    }
    const host = stringFlag(args, 'host') ?? '127.0.0.1';
    if (!LOOPBACK.test(host)) {
      throw new UsageError(`--host must be a loopback address (the test IdP is not for networks)`);
    }
    const spIds = stringList(args, 'sp-entity-id');
    const acs = stringList(args, 'sp-acs');
    const slo = stringList(args, 'sp-slo');
    if (acs.length > spIds.length || slo.length > spIds.length) {
      throw new UsageError('each --sp-acs and --sp-slo belongs to an --sp-entity-id before it');
    }
    for (const url of [...acs, ...slo]) {
      if (!URL.canParse(url)) throw new UsageError(`not a URL: ${JSON.stringify(url)}`);
    }
    const usersPath = stringFlag(args, 'users');
    const users = usersPath ? parseUsers(await io.readFile(usersPath), usersPath) : undefined;
    const entityId = stringFlag(args, 'entity-id');

    const { startIdpServer } = await import('@samlkit/testkit');
    const server = await startIdpServer({
      host,
      port,
      ...(entityId ? { entityId } : {}),
      ...(users ? { users } : {}),
      serviceProviders: spIds.map((id, i) => ({
        entityId: id,
        ...(acs[i] ? { acsUrls: [acs[i]!] } : {}),
        ...(slo[i] ? { sloUrl: slo[i]! } : {}),
      })),
    });
    const stopped = untilStopped();
    io.stdout(
      [
        `samlkit test IdP listening on ${server.url}`,
        `  entity ID:     ${server.entityId}`,
        `  metadata URL:  ${server.url}/metadata`,
        `  SSO:           ${server.url}/sso (HTTP-Redirect, HTTP-POST)`,
        `  SLO:           ${server.url}/slo`,
        `  users:         ${server.users.map((u) => `${u.username} (${u.nameId})`).join(', ')}`,
        spIds.length === 0
          ? '  no --sp-entity-id: any SP may log in; logout answers go nowhere'
          : `  SPs:           ${spIds.join(', ')}`,
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
    await stopped;
    await server.stop();
    io.stderr('samlkit test IdP stopped\n');
    return 0;
  },
};

export default command;
