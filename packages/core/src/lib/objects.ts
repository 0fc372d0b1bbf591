/**
 * A copy of `value` without the properties whose value is undefined, so that optional properties
 * are absent rather than present-and-undefined (`exactOptionalPropertyTypes`). @internal
 */
export function stripUndefined<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v;
  return out as T;
}
