// Runs SimpleSAMLphp (the Debian package) as a SAML 2.0 IdP on loopback with PHP's built-in web
// server, for the interoperability suite. Everything it needs (config.php, authsources.php, the
// hosted IdP's metadata and key pair, sessions, logs) is written to a fresh temporary directory that
// SIMPLESAMLPHP_CONFIG_DIR points at; nothing under /etc is read or changed. Remote SPs are read
// from their own metadata URLs (SimpleSAMLphp's `xml` metadata source), so the SP metadata samlkit
// publishes is what the IdP trusts.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSelfSignedCertificate } from '@samlkit/core';

/** Where the Debian package installs SimpleSAMLphp. */
export const SIMPLESAMLPHP_ROOT = '/usr/share/simplesamlphp';

const RSA_SHA1 = 'http://www.w3.org/2000/09/xmldsig#rsa-sha1';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const BINDING_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const BINDING_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

/** What is missing to run SimpleSAMLphp here, or null when nothing is. */
export function simpleSamlPhpMissing(): string | null {
  const php = spawnSync('php', ['-m'], { encoding: 'utf8' });
  if (php.error || php.status !== 0) return 'php (Debian package php-cli)';
  if (!/^dom$/im.test(php.stdout)) return 'the PHP DOM extension (Debian package php-xml)';
  if (!existsSync(join(SIMPLESAMLPHP_ROOT, 'www', 'saml2', 'idp', 'SSOService.php'))) {
    return 'SimpleSAMLphp (Debian package simplesamlphp)';
  }
  return null;
}

/** The test users of the IdP (exampleauth:UserPass): password = username. */
export const SIMPLESAMLPHP_USERS = {
  alice: {
    uid: ['alice'],
    email: ['alice@example.org'],
    displayName: ['Alice Interop'],
    eduPersonAffiliation: ['member', 'staff'],
  },
  bob: {
    uid: ['bob'],
    email: ['bob@example.org'],
    displayName: ['Bob Interop'],
    eduPersonAffiliation: ['member', 'student'],
  },
} as const;

/** How to configure the IdP. */
export interface SimpleSamlPhpOptions {
  /** Port on 127.0.0.1. */
  readonly port: number;
  /** Sign with rsa-sha1 instead of rsa-sha256. */
  readonly sha1?: boolean;
  /** Encrypt assertions to the SP's key from its metadata. */
  readonly encryptAssertions?: boolean;
  /** Refuse unsigned AuthnRequests and logout messages. */
  readonly requireSignedRequests?: boolean;
  /**
   * Release what SimpleSAMLphp read from the AuthnRequest as extra attributes, so a test can see
   * it arrived: `ssp-idplist` (IDPList ProviderIDs), `ssp-proxycount` (ProxyCount, which
   * SimpleSAMLphp has already decremented for its own hop), `ssp-requesterid`, `ssp-extensions`
   * (`{namespace}localName` of each Extensions element) and `ssp-forceauthn`.
   */
  readonly echoAuthnRequest?: boolean;
  /**
   * Answer with HTTP-Artifact when the AuthnRequest asks for it (`saml20.sendartifact`), serving
   * ArtifactResolve at saml2/idp/ArtifactResolutionService.php. SimpleSAMLphp keeps artifacts in
   * its data store; none of its stores' PHP clients (PDO SQLite, memcache, predis) is installed
   * here, so a small file-backed store class is declared in config.php.
   */
  readonly sendArtifacts?: boolean;
}

/**
 * A core:PHP authproc filter (run with the user's `$attributes` and the request `$state`) that
 * copies the Scoping, Extensions and ForceAuthn SimpleSAMLphp took from the AuthnRequest into
 * attributes. saml:IDPList, saml:ProxyCount, saml:RequesterID and saml:Extensions are the state
 * keys SimpleSAMLphp's SAML 2.0 IdP fills from the request (modules/saml/lib/IdP/SAML2.php).
 */
const ECHO_AUTHN_REQUEST = [
  'if (!empty($state["saml:IDPList"])) { $attributes["ssp-idplist"] = array_values($state["saml:IDPList"]); }',
  'if (isset($state["saml:ProxyCount"])) { $attributes["ssp-proxycount"] = [(string) $state["saml:ProxyCount"]]; }',
  'if (!empty($state["saml:RequesterID"])) { $attributes["ssp-requesterid"] = array_values($state["saml:RequesterID"]); }',
  'if (!empty($state["saml:Extensions"])) { $attributes["ssp-extensions"] = array_map(function ($e) { return "{" . $e->getNamespaceURI() . "}" . $e->getLocalName(); }, array_values($state["saml:Extensions"])); }',
  '$attributes["ssp-forceauthn"] = [empty($state["ForceAuthn"]) ? "false" : "true"];',
].join('\n');

/** A running SimpleSAMLphp IdP. */
export interface SimpleSamlPhp {
  /** `http://127.0.0.1:<port>/` */
  readonly baseUrl: string;
  /** Its entity ID, which is also its metadata URL. */
  readonly metadataUrl: string;
  readonly ssoUrl: string;
  readonly sloUrl: string;
  /**
   * Makes the IdP trust SPs by their metadata URLs (SimpleSAMLphp's `xml` metadata source, read
   * at every request) and lets it send the browser back to their hosts after an IdP-initiated
   * logout. Call it once the SPs serve their metadata: SimpleSAMLphp fails every request while a
   * metadata URL cannot be read.
   */
  trustServiceProviders(metadataUrls: readonly string[]): Promise<void>;
  /** SimpleSAMLphp's log and PHP's output so far (for failure messages). */
  logs(): Promise<string>;
  stop(): Promise<void>;
}

/** A PHP single-quoted string literal. */
function php(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function phpArray(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(phpArray).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `[${Object.entries(value)
      .map(([k, v]) => `${php(k)} => ${phpArray(v)}`)
      .join(', ')}]`;
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return String(value);
  return php(String(value));
}

/**
 * Writes a SimpleSAMLphp configuration to a temporary directory and starts `php -S` on
 * 127.0.0.1:`port`; resolves when the IdP serves its metadata.
 */
export async function startSimpleSamlPhp(options: SimpleSamlPhpOptions): Promise<SimpleSamlPhp> {
  const dir = await mkdtemp(join(tmpdir(), 'samlkit-ssp-'));
  const baseUrl = `http://127.0.0.1:${options.port}/`;
  const metadataUrl = `${baseUrl}saml2/idp/metadata.php`;
  for (const sub of ['config/metadata', 'cert', 'log', 'data', 'tmp', 'sessions']) {
    await mkdir(join(dir, sub), { recursive: true });
  }
  const key = await createSelfSignedCertificate({
    subject: 'simplesamlphp-idp.localhost',
    days: 30,
    alg: 'rsa2048',
  });
  await writeFile(join(dir, 'cert', 'idp.key'), key.privateKeyPem, { mode: 0o600 });
  await writeFile(join(dir, 'cert', 'idp.crt'), key.certificatePem);
  const secret = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');

  const config = (spMetadataUrls: readonly string[]) => ({
    baseurlpath: baseUrl,
    certdir: `${dir}/cert/`,
    loggingdir: `${dir}/log/`,
    datadir: `${dir}/data/`,
    tempdir: `${dir}/tmp`,
    metadatadir: `${dir}/config/metadata/`,
    attributenamemapdir: `${SIMPLESAMLPHP_ROOT}/config/attributemap/`,
    technicalcontact_name: 'samlkit interop',
    technicalcontact_email: 'interop@example.org',
    timezone: 'UTC',
    secretsalt: secret,
    'auth.adminpassword': secret,
    'admin.protectindexpage': false,
    'admin.protectmetadata': false,
    showerrors: true,
    errorreporting: false,
    'logging.handler': 'file',
    'logging.logfile': 'simplesamlphp.log',
    'enable.saml20-idp': true,
    'enable.shib13-idp': false,
    'module.enable': { exampleauth: true, core: true, saml: true },
    'session.cookie.secure': false,
    'session.phpsession.savepath': `${dir}/sessions`,
    'store.type': options.sendArtifacts ? 'SamlkitInteropFileStore' : 'phpsession',
    'metadata.sources': [
      { type: 'flatfile' },
      ...spMetadataUrls.map((url) => ({ type: 'xml', url })),
    ],
    'language.available': ['en'],
    'trusted.url.domains': [
      ...spMetadataUrls.map((url) => new URL(url).host),
      `127.0.0.1:${options.port}`,
    ],
  });
  // A SimpleSAML\Store on files (one per key, with its expiry), declared once per PHP request.
  const fileStore = options.sendArtifacts
    ? `if (!class_exists('SamlkitInteropFileStore', false)) {
  class SamlkitInteropFileStore extends \\SimpleSAML\\Store {
    private function path($type, $key) { return ${php(`${dir}/data/`)} . sha1($type . "\\0" . $key); }
    public function get($type, $key) {
      $p = $this->path($type, $key);
      if (!is_file($p)) return null;
      $d = unserialize(file_get_contents($p));
      if ($d['e'] !== null && $d['e'] < time()) { @unlink($p); return null; }
      return $d['v'];
    }
    public function set($type, $key, $value, $expire = null) {
      file_put_contents($this->path($type, $key), serialize(['v' => $value, 'e' => $expire]));
    }
    public function delete($type, $key) { @unlink($this->path($type, $key)); }
  }
}
`
    : '';
  const writeConfig = (spMetadataUrls: readonly string[]) =>
    writeFile(
      join(dir, 'config', 'config.php'),
      `<?php\n${fileStore}$config = ${phpArray(config(spMetadataUrls))};\n`,
    );
  const users = Object.fromEntries(
    Object.entries(SIMPLESAMLPHP_USERS).map(([name, attributes]) => [
      `${name}:${name}`,
      attributes,
    ]),
  );
  const algorithm = options.sha1 ? RSA_SHA1 : RSA_SHA256;
  const hosted = {
    host: '__DEFAULT__',
    privatekey: 'idp.key',
    certificate: 'idp.crt',
    auth: 'users',
    // SimpleSAMLphp publishes only HTTP-Redirect unless told otherwise.
    SingleSignOnServiceBinding: [BINDING_REDIRECT, BINDING_POST],
    SingleLogoutServiceBinding: [BINDING_REDIRECT, BINDING_POST],
    'signature.algorithm': algorithm,
    'saml20.sign.response': true,
    'saml20.sign.assertion': true,
    'sign.logout': true,
    'validate.authnrequest': options.requireSignedRequests ?? false,
    'validate.logout': options.requireSignedRequests ?? false,
    'assertion.encryption': options.encryptAssertions ?? false,
    'saml20.sendartifact': options.sendArtifacts ?? false,
    'simplesaml.nameidattribute': 'email',
    'attributes.NameFormat': 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic',
    ...(options.echoAuthnRequest && {
      authproc: { 90: { class: 'core:PHP', code: ECHO_AUTHN_REQUEST } },
    }),
  };
  const files: Record<string, string> = {
    'config/metadata/saml20-idp-hosted.php': `<?php\n$metadata[${php(metadataUrl)}] = ${phpArray(hosted)};\n`,
  };
  // exampleauth:UserPass takes the users as the source's own keys, after the module name.
  files['config/authsources.php'] =
    `<?php\n$config = ['users' => array_merge(['exampleauth:UserPass'], ${phpArray(users)})];\n`;
  for (const [path, text] of Object.entries(files)) await writeFile(join(dir, path), text);
  await writeConfig([]);

  const child: ChildProcess = spawn(
    'php',
    [
      '-d',
      `session.save_path=${dir}/sessions`,
      '-d',
      'display_errors=stderr',
      // The built-in server is not the `cli` SAPI, so OPcache is on and would serve config.php
      // as compiled up to two seconds ago; trustServiceProviders rewrites it.
      '-d',
      'opcache.enable=0',
      '-S',
      `127.0.0.1:${options.port}`,
      '-t',
      join(SIMPLESAMLPHP_ROOT, 'www'),
    ],
    {
      env: { ...process.env, SIMPLESAMLPHP_CONFIG_DIR: join(dir, 'config') },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const logs = async () => {
    const log = await readFile(join(dir, 'log', 'simplesamlphp.log'), 'utf8').catch(() => '');
    return `--- simplesamlphp.log\n${log.slice(-8000)}\n--- php -S\n${output.slice(-4000)}`;
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 20_000;
  for (;;) {
    // SimpleSAMLphp answers its error page with 200 too: look for the metadata itself.
    const ok = await fetch(metadataUrl).then(
      async (r) => r.ok && (await r.text()).includes('IDPSSODescriptor'),
      () => false,
    );
    if (ok) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      const text = await logs();
      await stop();
      throw new Error(`SimpleSAMLphp did not start on port ${options.port}\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    baseUrl,
    metadataUrl,
    ssoUrl: `${baseUrl}saml2/idp/SSOService.php`,
    sloUrl: `${baseUrl}saml2/idp/SingleLogoutService.php`,
    trustServiceProviders: writeConfig,
    logs,
    stop,
  };
}
