// Differential test of samlkit's XML signatures against xmlsec1 (libxmlsec1 on libxml2), an
// independent implementation of XML-DSig and of both Canonical XML algorithms.
//
// Direction A: samlkit signs (signXml), xmlsec1 verifies, and the octets xmlsec1 digested
//   (--store-references) must equal what samlkit's own canonicalizer produces for that Reference.
// Direction B: xmlsec1 signs a template (exclusive or inclusive c14n, with or without a PrefixList,
//   with or without a Reference c14n transform, with or without comments) and samlkit verifies with
//   the pinned certificate; on a refusal the canonical forms are compared to say why.
//
// A run is `ok`, `policy` (samlkit refuses by its documented policy: #WithComments, DTDs, depth),
// `other-side` (a known xmlsec1 deviation from the specs), or a `divergence` with its classes.

import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  createSelfSignedCertificate,
  type GeneratedCertificate,
} from '../../packages/core/src/crypto/certificate.js';
import { isSamlError } from '../../packages/core/src/errors.js';
import { canonicalize } from '../../packages/core/src/lib/c14n.js';
import { childElements, NS, parseXml, walkElements } from '../../packages/core/src/lib/xml.js';
import { type SignOptions, signXml } from '../../packages/core/src/signature/sign.js';
import { verifyElementSignature } from '../../packages/core/src/signature/verify.js';
import {
  declaredPrefixes,
  type GDoc,
  generateDocument,
  Rng,
  serialize,
  shrink,
} from './generator.js';

const EXC = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const EXC_WC = 'http://www.w3.org/2001/10/xml-exc-c14n#WithComments';
const INC = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315';
const INC_WC = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

/**
 * The signer options being added on another line of work. Passed through a local type so this file
 * compiles against today's SignOptions; a signer that ignores them shows up as `A:option-ignored`.
 */
type NewSignOptions = SignOptions & {
  readonly id?: string;
  readonly canonicalization?: 'exclusive' | 'inclusive';
  readonly inclusiveNamespacePrefixes?: readonly string[];
};

/** How a transform or CanonicalizationMethod is written in a direction-B template. */
type C14nSpec = 'none' | 'exc' | 'exc+pl' | 'exc+pl-ws' | 'inc' | 'exc#wc' | 'inc#wc';

export interface Combo {
  readonly name: string;
  readonly direction: 'A' | 'B';
  /** A: the signer options asked for. */
  readonly sign?: { readonly c14n: 'exclusive' | 'inclusive'; readonly prefixes: boolean } | null;
  /** B: SignedInfo canonicalization and Reference c14n transform. */
  readonly si?: C14nSpec;
  readonly ref?: C14nSpec;
  /** Uses signer options that today's signer does not have. */
  readonly newOption?: boolean;
}

export const COMBOS: readonly Combo[] = [
  { name: 'A:default', direction: 'A', sign: null },
  {
    name: 'A:exc+prefixes',
    direction: 'A',
    sign: { c14n: 'exclusive', prefixes: true },
    newOption: true,
  },
  { name: 'A:inc', direction: 'A', sign: { c14n: 'inclusive', prefixes: false }, newOption: true },
  { name: 'B:exc/exc', direction: 'B', si: 'exc', ref: 'exc' },
  { name: 'B:exc/exc+pl', direction: 'B', si: 'exc', ref: 'exc+pl' },
  { name: 'B:exc/exc+pl-ws', direction: 'B', si: 'exc', ref: 'exc+pl-ws' },
  { name: 'B:exc+pl/exc', direction: 'B', si: 'exc+pl', ref: 'exc' },
  { name: 'B:exc/inc', direction: 'B', si: 'exc', ref: 'inc' },
  { name: 'B:inc/inc', direction: 'B', si: 'inc', ref: 'inc' },
  { name: 'B:inc/exc', direction: 'B', si: 'inc', ref: 'exc' },
  { name: 'B:exc/none', direction: 'B', si: 'exc', ref: 'none' },
  { name: 'B:exc#wc/exc', direction: 'B', si: 'exc#wc', ref: 'exc' },
  { name: 'B:exc/exc#wc', direction: 'B', si: 'exc', ref: 'exc#wc' },
  { name: 'B:inc#wc/inc#wc', direction: 'B', si: 'inc#wc', ref: 'inc#wc' },
];

export type Status = 'ok' | 'policy' | 'other-side' | 'divergence';

export interface Outcome {
  readonly seed: number;
  readonly combo: string;
  readonly status: Status;
  /** Divergence (or policy / other-side) classes, most telling first. */
  readonly classes: readonly string[];
  readonly detail: string;
}

/** Whether xmlsec1 can be run here. */
export function xmlsecAvailable(): string | undefined {
  const r = spawnSync('xmlsec1', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

// A small process that starts the xmlsec1 processes: forking the harness itself (hundreds of MB
// with the DOMs and xmldsigjs) costs more than xmlsec1's own work.
const SPAWNER = `
const { spawn } = require('node:child_process');
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const { id, args } = JSON.parse(line);
  const child = spawn('xmlsec1', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = [], err = [];
  child.stdout.on('data', (b) => out.push(b));
  child.stderr.on('data', (b) => err.push(b));
  const done = (status) => process.stdout.write(JSON.stringify({ id, status,
    stdout: Buffer.concat(out).toString('base64'), stderr: Buffer.concat(err).toString('utf8') }) + '\\n');
  child.on('error', (e) => done(-1, err.push(Buffer.from(String(e)))));
  child.on('close', (code) => done(code ?? -1));
});
`;

interface XmlsecResult {
  status: number;
  stdout: Buffer;
  stderr: string;
}

/** Runs xmlsec1 processes (through the spawner), at most `limit` at a time. */
class Xmlsec {
  private running = 0;
  private queue: Array<() => void> = [];
  private nextId = 0;
  private readonly pending = new Map<number, (r: XmlsecResult) => void>();
  private readonly spawner: ChildProcessWithoutNullStreams;

  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
    this.spawner = spawn(process.execPath, ['-e', SPAWNER], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.spawner.stderr.on('data', (b: Buffer) => process.stderr.write(b));
    createInterface({ input: this.spawner.stdout }).on('line', (line) => {
      const r = JSON.parse(line) as { id: number; status: number; stdout: string; stderr: string };
      const resolve = this.pending.get(r.id);
      this.pending.delete(r.id);
      resolve?.({ status: r.status, stdout: Buffer.from(r.stdout, 'base64'), stderr: r.stderr });
    });
  }

  close(): void {
    this.spawner.stdin.end();
  }

  async run(args: string[]): Promise<XmlsecResult> {
    while (this.running >= this.limit) await new Promise<void>((r) => this.queue.push(r));
    this.running++;
    try {
      return await new Promise<XmlsecResult>((resolve) => {
        const id = this.nextId++;
        this.pending.set(id, resolve);
        this.spawner.stdin.write(`${JSON.stringify({ id, args })}\n`);
      });
    } finally {
      this.running--;
      this.queue.shift()?.();
    }
  }
}

/** The buffer xmlsec1 prints between `== <what> - start buffer:\n` and `\n== <what> - end buffer`. */
function debugBuffer(
  stdout: Buffer,
  what: 'PreDigest data' | 'PreSigned data',
): Buffer | undefined {
  const start = Buffer.from(`== ${what} - start buffer:\n`);
  const end = Buffer.from(`\n== ${what} - end buffer`);
  const i = stdout.indexOf(start);
  if (i < 0) return undefined;
  const j = stdout.indexOf(end, i + start.length);
  if (j < 0) return undefined;
  return stdout.subarray(i + start.length, j);
}

function firstError(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  const useful = lines.find((l) => !l.startsWith('func=') && !l.startsWith('Error: failed'));
  return (useful ?? lines[0] ?? 'no message').slice(0, 200);
}

function codeOf(e: unknown): string {
  return isSamlError(e) ? e.code : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

const POLICY_PARSE_CODES = new Set(['XML_DOCTYPE_FORBIDDEN', 'XML_TOO_DEEP', 'XML_TOO_LARGE']);

function findById(doc: Document, id: string): Element | undefined {
  for (const el of walkElements(doc.documentElement)) if (el.getAttribute('ID') === id) return el;
  return undefined;
}

interface C14nParams {
  exclusive: boolean;
  prefixes: string[];
  comments: boolean;
}

/** The c14n a Transform / CanonicalizationMethod element declares (absent: inclusive, XML-DSig §4.3.3.2). */
function declaredC14n(el: Element | undefined, splitLikeXmlsec = false): C14nParams | undefined {
  if (!el) return { exclusive: false, prefixes: [], comments: false };
  const alg = el.getAttribute('Algorithm');
  if (alg !== EXC && alg !== INC && alg !== EXC_WC && alg !== INC_WC) return undefined;
  const inc = childElements(el, NS.ec, 'InclusiveNamespaces')[0];
  const list = inc?.getAttribute('PrefixList') ?? '';
  // exc-c14n §3: the PrefixList is a white-space separated list (XML Schema NMTOKENS).
  // xmlsec1 splits on single spaces and reads an empty token (two spaces in a row) as the
  // default namespace.
  const prefixes = splitLikeXmlsec ? list.split(' ') : list.split(/[ \t\r\n]+/).filter(Boolean);
  return {
    exclusive: alg === EXC || alg === EXC_WC,
    prefixes,
    comments: alg === EXC_WC || alg === INC_WC,
  };
}

/** Parts of a signed element's signature, as samlkit's DOM reads them. */
function signatureParts(target: Element) {
  const sig = childElements(target, NS.ds, 'Signature')[0];
  const signedInfo = sig ? childElements(sig, NS.ds, 'SignedInfo')[0] : undefined;
  const c14nEl = signedInfo
    ? childElements(signedInfo, NS.ds, 'CanonicalizationMethod')[0]
    : undefined;
  const reference = signedInfo ? childElements(signedInfo, NS.ds, 'Reference')[0] : undefined;
  const transforms = reference ? childElements(reference, NS.ds, 'Transforms')[0] : undefined;
  const list = transforms ? childElements(transforms, NS.ds, 'Transform') : [];
  const refC14nEl = list.find((t) => t.getAttribute('Algorithm') !== ENVELOPED);
  return { sig, signedInfo, c14nEl, refC14nEl };
}

function samlkitCanonical(target: Element, exclude: Node | undefined, p: C14nParams): Buffer {
  return Buffer.from(
    canonicalize(target, {
      exclusive: p.exclusive,
      inclusivePrefixes: p.prefixes,
      ...(exclude !== undefined && { exclude }),
    }),
    'utf8',
  );
}

function firstDifference(a: Buffer, b: Buffer): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const from = Math.max(0, i - 40);
  return `samlkit …${JSON.stringify(a.subarray(from, i + 40).toString('utf8'))}… | xmlsec1 …${JSON.stringify(b.subarray(from, i + 40).toString('utf8'))}…`;
}

/**
 * Compares samlkit's canonical octets with xmlsec1's. A difference that disappears once xmlsec1's
 * known deviations are undone is `explained` (the deviation is on xmlsec1's side):
 * - libxml2 writes `&` in a namespace URI as `&#38;`; c14n §2.3 and exc-c14n render namespace
 *   nodes like attributes, where `&` is `&amp;` (c14n §2.3 attribute nodes).
 */
function compare(mine: Buffer, theirs: Buffer): { differs?: string; explained?: string } {
  if (mine.equals(theirs)) return {};
  const undone = Buffer.from(theirs.toString('utf8').replaceAll('&#38;', '&amp;'), 'utf8');
  if (mine.equals(undone)) return { explained: 'other-side:xmlsec1-namespace-amp' };
  return { differs: firstDifference(mine, theirs) };
}

/** The harness: one key pair, one temp directory, a pool of xmlsec1 processes. */
export class Differential {
  private counter = 0;
  private readonly cert: GeneratedCertificate;
  private readonly dir: string;
  private readonly xmlsec: Xmlsec;
  private readonly certFile: string;
  private readonly keyFile: string;

  private constructor(
    cert: GeneratedCertificate,
    dir: string,
    xmlsec: Xmlsec,
    certFile: string,
    keyFile: string,
  ) {
    this.cert = cert;
    this.dir = dir;
    this.xmlsec = xmlsec;
    this.certFile = certFile;
    this.keyFile = keyFile;
  }

  static async create(concurrency = Math.max(2, availableParallelism())): Promise<Differential> {
    const cert = await createSelfSignedCertificate({
      subject: 'idp.differential.example',
      days: 30,
    });
    const dir = mkdtempSync(join(tmpdir(), 'samlkit-differential-'));
    const certFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    writeFileSync(certFile, cert.certificatePem);
    writeFileSync(keyFile, cert.privateKeyPem);
    return new Differential(cert, dir, new Xmlsec(concurrency), certFile, keyFile);
  }

  close(): void {
    this.xmlsec.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The combination a seed runs when none is chosen: spread evenly by seed. */
  static comboFor(seed: number, combos: readonly Combo[] = COMBOS): Combo {
    return combos[(seed >>> 0) % combos.length]!;
  }

  async run(seed: number, combo: Combo): Promise<Outcome> {
    const doc = generateDocument(seed);
    return this.runDoc(seed, doc, combo);
  }

  async runDoc(seed: number, doc: GDoc, combo: Combo): Promise<Outcome> {
    const file = join(this.dir, `d${this.counter++}.xml`);
    try {
      return combo.direction === 'A'
        ? await this.directionA(seed, doc, combo, file)
        : await this.directionB(seed, doc, combo, file);
    } finally {
      rmSync(file, { force: true });
      rmSync(`${file}.out`, { force: true });
    }
  }

  private idArgs(doc: GDoc): string[] {
    return ['--id-attr:ID', `${doc.targetNs}:${doc.targetLocal}`];
  }

  private async directionA(seed: number, doc: GDoc, combo: Combo, file: string): Promise<Outcome> {
    const out = (status: Status, classes: string[], detail: string): Outcome => ({
      seed,
      combo: combo.name,
      status,
      classes,
      detail,
    });
    const rng = new Rng(seed ^ 0x5bd1e995);
    const asked = combo.sign;
    let prefixes: string[] = [];
    const options: NewSignOptions = {
      key: this.cert.privateKey,
      certificate: this.cert.certificatePem,
      id: doc.id,
    };
    if (asked) {
      if (asked.prefixes) prefixes = declaredPrefixes(doc).filter(() => rng.chance(0.5));
      Object.assign(options, {
        canonicalization: asked.c14n,
        ...(asked.prefixes ? { inclusiveNamespacePrefixes: prefixes } : {}),
      });
    }
    const xml = serialize(doc);
    let signed: string;
    try {
      signed = await signXml(xml, options);
    } catch (e) {
      const code = codeOf(e);
      if (POLICY_PARSE_CODES.has(code)) return out('policy', [`policy:${code}`], code);
      return out('divergence', [`A:samlkit-cannot-sign:${code}`], code);
    }
    let sdoc: Document;
    try {
      sdoc = parseXml(signed);
    } catch (e) {
      // What signXml wrote must parse again, as the original did.
      return out(
        'divergence',
        [`A:samlkit-output-unparseable:${codeOf(e)}`],
        String(e).slice(0, 300),
      );
    }
    const target = findById(sdoc, doc.id)!;
    const parts = signatureParts(target);
    const classes: string[] = [];
    const details: string[] = [];

    // 1. The signer did what it was asked (the Reference c14n transform and its PrefixList).
    const refC14n = declaredC14n(parts.refC14nEl);
    const siC14n = declaredC14n(parts.c14nEl);
    if (asked) {
      const wantAlg = asked.c14n === 'exclusive' ? EXC : INC;
      const gotAlg = parts.refC14nEl?.getAttribute('Algorithm');
      const gotPl = [...(refC14n?.prefixes ?? [])].sort().join(' ');
      const wantPl = [...prefixes].sort().join(' ');
      if (gotAlg !== wantAlg || (asked.prefixes && gotPl !== wantPl)) {
        classes.push('A:option-ignored');
        details.push(`asked ${wantAlg} [${wantPl}], signed with ${gotAlg} [${gotPl}]`);
      }
    }

    // 2. xmlsec1 verifies with the pinned certificate and reports what it digested.
    writeFileSync(file, signed);
    const r = await this.xmlsec.run([
      '--verify',
      '--enabled-key-data',
      'rsa',
      '--pubkey-cert-pem',
      this.certFile,
      ...this.idArgs(doc),
      '--store-references',
      '--store-signatures',
      '--print-debug',
      file,
    ]);

    // 3. xmlsec1 read the same content as samlkit's canonicalizer.
    const explained = new Set<string>();
    const preDigest = debugBuffer(r.stdout, 'PreDigest data');
    const preSigned = debugBuffer(r.stdout, 'PreSigned data');
    if (refC14n && preDigest) {
      const cmp = compare(samlkitCanonical(target, parts.sig, refC14n), preDigest);
      if (cmp.explained) explained.add(cmp.explained);
      else if (cmp.differs) {
        classes.push('A:reference-c14n-differs');
        details.push(cmp.differs);
      }
    } else if (!preDigest) {
      classes.push('A:xmlsec1-no-reference-output');
      details.push(firstError(r.stderr));
    }
    if (siC14n && preSigned && parts.signedInfo) {
      const cmp = compare(samlkitCanonical(parts.signedInfo, undefined, siC14n), preSigned);
      if (cmp.explained) explained.add(cmp.explained);
      else if (cmp.differs) {
        classes.push('A:signedinfo-c14n-differs');
        details.push(cmp.differs);
      }
    }

    // 4. samlkit verifies what it signed.
    let ownOk = true;
    try {
      await verifyElementSignature(target, { keys: [this.cert.publicKey] });
    } catch (e) {
      ownOk = false;
      classes.push(`A:samlkit-refuses-own:${codeOf(e)}`);
    }
    if (r.status !== 0) {
      // Explained when xmlsec1 digested its own deviant canonical form of what samlkit signed.
      const onlyDeviation =
        ownOk && explained.size > 0 && !classes.some((c) => c.includes('c14n-differs'));
      if (!onlyDeviation) {
        classes.unshift('A:xmlsec1-refuses');
        details.unshift(firstError(r.stderr));
      }
    }
    if (classes.length > 0) return out('divergence', classes, details.join('; '));
    if (explained.size > 0) return out('other-side', [...explained], '');
    return out('ok', [], '');
  }

  private template(doc: GDoc, combo: Combo, rng: Rng): { xml: string; prefixList?: string } {
    const dsPrefix = rng.pick(['ds', 'ds', 'dsig', '', 'é']);
    const ecPrefix = rng.pick(['ec', 'ec', '']);
    const q = (n: string) => (dsPrefix ? `${dsPrefix}:${n}` : n);
    const ecq = ecPrefix ? `${ecPrefix}:InclusiveNamespaces` : 'InclusiveNamespaces';
    const ecDecl = ecPrefix ? `xmlns:${ecPrefix}="${NS.ec}"` : `xmlns="${NS.ec}"`;
    const pool = [...declaredPrefixes(doc), 'nope'];
    let prefixList: string | undefined;
    const plFor = (ws: boolean): string => {
      const chosen = pool.filter(() => rng.chance(0.5));
      if (chosen.length < 2) chosen.push(...pool.slice(0, 2));
      if (!ws) return chosen.join(' ');
      // exc-c14n §3 allows any XML white space between the prefixes (NMTOKENS).
      return chosen
        .map((p, i) =>
          i === 0 ? p : rng.pick(['&#9;', '&#10;', '  ', ' &#9; ', '&#13;&#10;']) + p,
        )
        .join('');
    };
    const alg = (spec: C14nSpec, what: 'CanonicalizationMethod' | 'Transform'): string => {
      const uri = {
        exc: EXC,
        'exc+pl': EXC,
        'exc+pl-ws': EXC,
        inc: INC,
        'exc#wc': EXC_WC,
        'inc#wc': INC_WC,
        none: '',
      }[spec];
      if (spec === 'exc+pl' || spec === 'exc+pl-ws') {
        const pl = plFor(spec === 'exc+pl-ws');
        if (what === 'Transform') prefixList = pl;
        return `<${q(what)} Algorithm="${uri}"><${ecq} ${ecDecl} PrefixList="${pl}"/></${q(what)}>`;
      }
      return `<${q(what)} Algorithm="${uri}"/>`;
    };
    const dsDecl = dsPrefix ? `xmlns:${dsPrefix}="${NS.ds}"` : `xmlns="${NS.ds}"`;
    const refTransform = combo.ref === 'none' ? '' : alg(combo.ref!, 'Transform');
    const sig =
      `<${q('Signature')} ${dsDecl}><${q('SignedInfo')}>${alg(combo.si!, 'CanonicalizationMethod')}` +
      `<${q('SignatureMethod')} Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>` +
      `<${q('Reference')} URI="#${doc.id}"><${q('Transforms')}><${q('Transform')} Algorithm="${ENVELOPED}"/>${refTransform}</${q('Transforms')}>` +
      `<${q('DigestMethod')} Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><${q('DigestValue')}/></${q('Reference')}>` +
      `</${q('SignedInfo')}><${q('SignatureValue')}/></${q('Signature')}>`;
    return { xml: serialize(doc, sig), ...(prefixList === undefined ? {} : { prefixList }) };
  }

  private async directionB(seed: number, doc: GDoc, combo: Combo, file: string): Promise<Outcome> {
    const out = (status: Status, classes: string[], detail: string): Outcome => ({
      seed,
      combo: combo.name,
      status,
      classes,
      detail,
    });
    const rng = new Rng(seed ^ 0x27d4eb2f);
    const { xml } = this.template(doc, combo, rng);
    writeFileSync(file, xml);
    const r = await this.xmlsec.run([
      '--sign',
      '--privkey-pem',
      this.keyFile,
      ...this.idArgs(doc),
      '--store-references',
      '--store-signatures',
      '--print-debug',
      '--output',
      `${file}.out`,
      file,
    ]);
    if (r.status !== 0) {
      let samlkitParses = true;
      try {
        parseXml(xml);
      } catch {
        samlkitParses = false;
      }
      if (!samlkitParses) return out('ok', ['both-refuse'], firstError(r.stderr));
      return out('divergence', ['B:xmlsec1-cannot-sign'], firstError(r.stderr));
    }
    const signed = readFileSync(`${file}.out`, 'utf8');
    const preDigest = debugBuffer(r.stdout, 'PreDigest data');
    const preSigned = debugBuffer(r.stdout, 'PreSigned data');
    const withComments = combo.si?.endsWith('#wc') || combo.ref?.endsWith('#wc');

    let sdoc: Document;
    try {
      sdoc = parseXml(signed);
    } catch (e) {
      const code = codeOf(e);
      if (POLICY_PARSE_CODES.has(code)) return out('policy', [`policy:${code}`], code);
      return out('divergence', [`B:samlkit-cannot-parse:${code}`], code);
    }
    const target = findById(sdoc, doc.id);
    if (!target) return out('divergence', ['B:target-lost'], 'no element with the signed ID');
    const parts = signatureParts(target);
    try {
      await verifyElementSignature(target, { keys: [this.cert.publicKey] });
      if (withComments) {
        return out(
          'divergence',
          ['B:policy-not-applied'],
          'a #WithComments signature was accepted',
        );
      }
      return out('ok', [], '');
    } catch (e) {
      const code = codeOf(e);
      // samlkit refuses the "WithComments" algorithms by policy (docs/security.md; verify.ts C14N).
      if (withComments && code === 'SIGNATURE_TRANSFORM_FORBIDDEN') {
        return out('policy', ['policy:with-comments'], code);
      }
      const classes: string[] = [];
      const details: string[] = [code];
      const explained = new Set<string>();
      const refC14n = declaredC14n(parts.refC14nEl);
      if (refC14n && preDigest) {
        const cmp = compare(samlkitCanonical(target, parts.sig, refC14n), preDigest);
        // Known xmlsec1 deviation: it splits the PrefixList on single spaces only, where
        // exc-c14n §3 allows any white space. If that reading explains xmlsec1's octets, the
        // error is on xmlsec1's side.
        const theirs = declaredC14n(parts.refC14nEl, true)!;
        if (cmp.explained) explained.add(cmp.explained);
        else if (
          cmp.differs &&
          combo.ref === 'exc+pl-ws' &&
          !compare(samlkitCanonical(target, parts.sig, theirs), preDigest).differs
        ) {
          explained.add('other-side:xmlsec1-prefixlist-whitespace');
        } else if (cmp.differs) {
          classes.push('B:reference-c14n-differs');
          details.push(cmp.differs);
        }
      }
      const siC14n = declaredC14n(parts.c14nEl);
      if (siC14n && preSigned && parts.signedInfo) {
        const cmp = compare(samlkitCanonical(parts.signedInfo, undefined, siC14n), preSigned);
        if (cmp.explained) explained.add(cmp.explained);
        else if (cmp.differs) {
          classes.push('B:signedinfo-c14n-differs');
          details.push(cmp.differs);
        }
      }
      const digestOrSignature =
        code === 'SIGNATURE_DIGEST_MISMATCH' || code === 'SIGNATURE_INVALID';
      if (classes.length === 0 && explained.size > 0 && digestOrSignature) {
        return out('other-side', [...explained], code);
      }
      return out('divergence', [`B:samlkit-refuses:${code}`, ...classes], details.join('; '));
    }
  }

  /**
   * Shrinks a failing document while the run keeps failing with the same first class, within
   * `budget` runs. Returns the smallest document found and its outcome.
   */
  async minimize(
    seed: number,
    combo: Combo,
    first: Outcome,
    budget = 400,
  ): Promise<{ xml: string; outcome: Outcome; steps: number }> {
    let doc = generateDocument(seed);
    let outcome = first;
    let steps = 0;
    let improved = true;
    while (improved && steps < budget) {
      improved = false;
      for (const candidate of shrink(doc)) {
        if (steps++ >= budget) break;
        const o = await this.runDoc(seed, candidate, combo);
        if (o.status === first.status && o.classes[0] === first.classes[0]) {
          doc = candidate;
          outcome = o;
          improved = true;
          break;
        }
      }
    }
    return { xml: serialize(doc), outcome, steps };
  }
}

/** Results of a batch. */
export interface Summary {
  readonly runs: number;
  readonly perCombo: Map<string, Record<Status, number>>;
  readonly perClass: Map<string, number[]>;
  readonly failures: Outcome[];
}

/** Runs `count` documents from `seed` on, each with the combination its seed selects (or one of `combos`). */
export async function runBatch(
  harness: Differential,
  seed: number,
  count: number,
  combos: readonly Combo[] = COMBOS,
  onOutcome?: (o: Outcome) => void,
  shouldStop?: () => boolean,
): Promise<Summary> {
  const perCombo = new Map<string, Record<Status, number>>();
  for (const c of combos)
    perCombo.set(c.name, { ok: 0, policy: 0, 'other-side': 0, divergence: 0 });
  const perClass = new Map<string, number[]>();
  const failures: Outcome[] = [];
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < count && !shouldStop?.()) {
      const s = (seed + next++) >>> 0;
      const combo = Differential.comboFor(s, combos);
      let o: Outcome;
      try {
        o = await harness.run(s, combo);
      } catch (e) {
        o = {
          seed: s,
          combo: combo.name,
          status: 'divergence',
          classes: ['harness-error'],
          detail: String(e),
        };
      }
      perCombo.get(combo.name)![o.status]++;
      done++;
      for (const c of o.classes) {
        const seeds = perClass.get(c) ?? [];
        seeds.push(s);
        perClass.set(c, seeds);
      }
      if (o.status === 'divergence') failures.push(o);
      onOutcome?.(o);
    }
  };
  await Promise.all(Array.from({ length: Math.max(4, availableParallelism() * 3) }, worker));
  return { runs: done, perCombo, perClass, failures };
}

/** A printable summary. */
export function formatSummary(s: Summary): string {
  const lines: string[] = [
    `documents run: ${s.runs}`,
    '',
    'per combination (ok / policy / other-side / divergence):',
  ];
  for (const [name, c] of s.perCombo) {
    lines.push(`  ${name.padEnd(18)} ${c.ok} / ${c.policy} / ${c['other-side']} / ${c.divergence}`);
  }
  lines.push('', 'classes (count, first seeds):');
  const classes = [...s.perClass].sort((a, b) => b[1].length - a[1].length);
  if (classes.length === 0) lines.push('  none');
  for (const [name, seeds] of classes) {
    const sorted = [...seeds].sort((a, b) => a - b);
    lines.push(
      `  ${name}: ${seeds.length}  seeds ${sorted.slice(0, 8).join(', ')}${seeds.length > 8 ? ', …' : ''}`,
    );
  }
  return lines.join('\n');
}
