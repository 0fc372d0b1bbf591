// Running the store's Lua scripts: EVALSHA first, the source when Redis has lost its script cache.
import { Cluster, ReplyError } from 'ioredis';
import type { RedisClient } from './options.js';
import type { LuaScript } from './scripts.js';

/** Runs a single-key script (`EVALSHA`, or `EVAL` with the source after `NOSCRIPT`). */
export async function evalScript(
  c: RedisClient,
  script: LuaScript,
  key: string,
  args: readonly (string | number)[],
): Promise<unknown> {
  try {
    return await c.evalsha(script.sha1, 1, key, ...args);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    return c.eval(script.source, 1, key, ...args);
  }
}

/**
 * Runs one single-key script on each of `keys`, all sent at once: one pipeline on a single
 * Redis; on a Cluster (where one pipeline cannot span nodes) every command is written without
 * waiting for the others. Results in the order of `keys`; a key for which Redis answered an
 * error has that `Error` in its place. Rejects when the connection fails (no answer at all).
 */
export async function evalEach(
  c: RedisClient,
  script: LuaScript,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown[]> {
  if (c instanceof Cluster) {
    const settled = await Promise.allSettled(keys.map((k) => evalScript(c, script, k, args)));
    return settled.map((r) => {
      if (r.status === 'fulfilled') return r.value;
      if (r.reason instanceof ReplyError) return r.reason;
      throw r.reason;
    });
  }
  const send = async (source: boolean, which: readonly number[]) => {
    const p = c.pipeline();
    for (const i of which) {
      const key = keys[i] as string;
      if (source) p.eval(script.source, 1, key, ...args);
      else p.evalsha(script.sha1, 1, key, ...args);
    }
    const out = await p.exec();
    if (out === null) throw new Error('the pipeline was discarded');
    return out;
  };
  const results: unknown[] = new Array(keys.length);
  const first = await send(
    false,
    keys.map((_, i) => i),
  );
  const again: number[] = [];
  first.forEach(([err, value], i) => {
    if (err?.message.startsWith('NOSCRIPT')) again.push(i);
    else results[i] = err ?? value;
  });
  if (again.length > 0) {
    // Redis lost its script cache (restart, SCRIPT FLUSH): send the source for those only.
    const second = await send(true, again);
    second.forEach(([err, value], j) => {
      results[again[j] as number] = err ?? value;
    });
  }
  return results;
}

/** {@link evalScript} with many keys (a single Redis only: Cluster needs one slot). */
export async function evalKeys(
  c: RedisClient,
  script: LuaScript,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  try {
    return await c.evalsha(script.sha1, keys.length, ...keys, ...args);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    return c.eval(script.source, keys.length, ...keys, ...args);
  }
}
