// "Core runs without Node built-ins": bundle @samlkit/core for a neutral platform, check that the
// bundle cannot reach Node APIs, and run SP-initiated login in a context that has Web APIs only.
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { build } from 'esbuild';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));
const NODE_GLOBALS = new Set([
  'Buffer',
  'process',
  'global',
  'require',
  '__dirname',
  '__filename',
  'setImmediate',
]);

let bundle: string;
beforeAll(async () => {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'neutral',
    mainFields: ['module', 'main'],
    format: 'iife',
    globalName: 'samlkit',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  bundle = result.outputFiles[0]!.text;
}, 60_000);

const WEB_API = '(?:atob|btoa|TextEncoder|TextDecoder|crypto|self|window)';

/**
 * Whether `node` sits where a `typeof name` check already proved `name` exists, or in the
 * fallback branch of a check that a Web API exists (only taken in runtimes without it).
 */
function guarded(node: ts.Node, name: string): boolean {
  const proves = (cond: ts.Node) =>
    new RegExp(`typeof ${name}\\s*!==?\\s*["']undefined["']`).test(cond.getText());
  const hasWebApi = (cond: ts.Node) =>
    new RegExp(`^typeof ${WEB_API}\\s*!==?\\s*["']undefined["']$`).test(cond.getText());
  for (let child = node, parent = node.parent; parent; child = parent, parent = parent.parent) {
    if (ts.isIfStatement(parent)) {
      if (child === parent.thenStatement && proves(parent.expression)) return true;
      if (child === parent.elseStatement && hasWebApi(parent.expression)) return true;
    }
    if (ts.isConditionalExpression(parent)) {
      if (child === parent.whenTrue && proves(parent.condition)) return true;
      if (child === parent.whenFalse && hasWebApi(parent.condition)) return true;
    }
    if (
      ts.isBinaryExpression(parent) &&
      parent.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken &&
      child === parent.right &&
      proves(parent.left)
    ) {
      return true;
    }
  }
  return false;
}

/** Every reference to a Node-only global that is not a property name, a typeof test or guarded. */
function unguardedNodeGlobals(code: string): string[] {
  const source = ts.createSourceFile('bundle.js', code, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && NODE_GLOBALS.has(node.text)) {
      const p = node.parent;
      const isPropertyName =
        (ts.isPropertyAccessExpression(p) && p.name === node) ||
        ((ts.isPropertyAssignment(p) || ts.isMethodDeclaration(p) || ts.isPropertyDeclaration(p)) &&
          p.name === node);
      const isTypeof = ts.isTypeOfExpression(p);
      if (!isPropertyName && !isTypeof && !guarded(node, node.text)) {
        const { line } = source.getLineAndCharacterOfPosition(node.getStart());
        found.push(
          `${node.text} at line ${line + 1}: ${code.split('\n')[line]!.trim().slice(0, 100)}`,
        );
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('core without Node built-ins', () => {
  it('the neutral bundle imports no node: module and needs no Node global', () => {
    expect(bundle.length).toBeGreaterThan(10_000);
    expect(bundle).not.toMatch(/["'`]node:[a-z_/]+["'`]/);
    expect(bundle).not.toMatch(/\brequire\(["'`]/);
    expect(unguardedNodeGlobals(bundle)).toEqual([]);
  });

  it('the check itself finds an unguarded Buffer or process', () => {
    expect(
      unguardedNodeGlobals(
        'const a = Buffer.from("x"); if (typeof Buffer !== "undefined") Buffer.alloc(1);',
      ),
    ).toHaveLength(1);
    expect(unguardedNodeGlobals('const e = process.env.X;')).toHaveLength(1);
    expect(
      unguardedNodeGlobals('if (typeof atob !== "undefined") atob(x); else Buffer.from(x);'),
    ).toEqual([]);
    expect(
      unguardedNodeGlobals('if (typeof atob !== "undefined") Buffer.from(x); else atob(x);'),
    ).toHaveLength(1);
    expect(
      unguardedNodeGlobals(
        'const ok = typeof process !== "undefined" && process.env; x.process(1);',
      ),
    ).toEqual([]);
  });

  it('builds, encodes and decodes an AuthnRequest in a context with Web APIs only', async () => {
    const webOnly = {
      crypto: globalThis.crypto,
      TextEncoder,
      TextDecoder,
      CompressionStream,
      DecompressionStream,
      ReadableStream,
      WritableStream,
      TransformStream,
      URL,
      URLSearchParams,
      atob,
      btoa,
      structuredClone,
      queueMicrotask,
      setTimeout,
      clearTimeout,
      DOMException,
      console,
    };
    const context = vm.createContext(webOnly);
    vm.runInContext(bundle, context, { filename: 'samlkit-core.js' });
    expect(vm.runInContext('typeof Buffer + typeof process + typeof require', context)).toBe(
      'undefinedundefinedundefined',
    );
    const script = `(async () => {
      const { createAuthnRequest, encodeRedirect, decodeRedirect, parseAuthnRequest } = samlkit;
      const created = createAuthnRequest({
        issuer: 'https://sp.example.com/metadata',
        destination: 'https://idp.example.org/sso',
        assertionConsumerServiceUrl: 'https://sp.example.com/acs',
        protocolBinding: 'post',
        forceAuthn: true,
        now: Date.UTC(2026, 0, 1),
      });
      const url = await encodeRedirect({ destination: 'https://idp.example.org/sso', type: 'SAMLRequest', xml: created.xml, relayState: 'rs' });
      const decoded = await decodeRedirect(url);
      return { id: created.id, same: decoded.xml === created.xml, relayState: decoded.relayState, parsed: parseAuthnRequest(decoded.xml) };
    })()`;
    const result = (await vm.runInContext(script, context)) as {
      id: string;
      same: boolean;
      relayState: string;
      parsed: { id: string; forceAuthn: boolean };
    };
    expect(result.same).toBe(true);
    expect(result.relayState).toBe('rs');
    expect(result.parsed.id).toBe(result.id);
    expect(result.parsed.forceAuthn).toBe(true);
  });
});
