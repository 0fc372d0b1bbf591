/** The keys of `T` whose type admits `undefined`. */
type UndefinedKeys<T> = { [K in keyof T]-?: undefined extends T[K] ? K : never }[keyof T];

/**
 * `T` with every property that may be `undefined` turned into an optional property without
 * `undefined` (the shape `exactOptionalPropertyTypes` asks for).
 */
export type Defined<T> = { [K in Exclude<keyof T, UndefinedKeys<T>>]: T[K] } & {
  [K in UndefinedKeys<T>]?: Exclude<T[K], undefined>;
};

/**
 * A copy of `value` without its `undefined` properties, so results carry only the fields a
 * message had (an absent attribute is an absent property, never a property set to undefined).
 * @internal
 */
export function stripUndefined<T extends object>(value: T): Defined<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v;
  return out as Defined<T>;
}
