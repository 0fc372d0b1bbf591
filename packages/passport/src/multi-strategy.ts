// MultiSamlStrategy: one strategy, several IdPs (tenants), each request's options from getSamlOptions.
import { MemoryStore, type SamlStore } from '@samlkit/core';
import type { Request as ExpressRequest } from 'express';
import { mapSamlOptions, type SamlStrategyOptions } from './options.js';
import { SamlStrategyBase } from './strategy.js';
import type { Engine, VerifyFunction, VerifyWithoutRequest, VerifyWithRequest } from './types.js';

/** The callback of `getSamlOptions`. */
export type SamlOptionsCallback = (err: Error | null, samlOptions?: SamlStrategyOptions) => void;

/** Options of {@link MultiSamlStrategy}: `getSamlOptions`, plus defaults for every IdP's options. */
export interface MultiSamlStrategyOptions
  extends Partial<Omit<SamlStrategyOptions, 'name' | 'passReqToCallback'>> {
  /** The strategy name. Default `saml`. */
  readonly name?: string;
  /** Call `verify(req, profile, done)` with the request. */
  readonly passReqToCallback?: boolean;
  /**
   * The SAML options for this request (its tenant, say), as in passport-saml. They are merged over
   * the strategy's defaults. The service provider built from them is kept, for options of equal
   * value, so that a login can finish on any request (and node) that maps to the same options.
   */
  getSamlOptions(req: ExpressRequest, callback: SamlOptionsCallback): void;
  /** How many distinct option sets to keep built. Default 100. */
  readonly cacheSize?: number;
}

const identities = new WeakMap<object, number>();
let nextIdentity = 0;

/** A key equal for option sets of equal value (objects such as keys and stores by identity). */
function valueKey(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (
      typeof v === 'function' ||
      (v !== null &&
        typeof v === 'object' &&
        !Array.isArray(v) &&
        Object.getPrototypeOf(v) !== Object.prototype)
    ) {
      const object = v as object;
      let id = identities.get(object);
      if (id === undefined) {
        id = ++nextIdentity;
        identities.set(object, id);
      }
      return `#object${id}`;
    }
    return v;
  });
}

/**
 * A Passport strategy for several IdPs (tenants), as passport-saml's `MultiSamlStrategy`:
 * `getSamlOptions(req, done)` gives each request its options. All of them share one store (the
 * `store` default, or a new in-memory one), so login state and sessions survive across tenants
 * and, with Redis, nodes.
 *
 * @example
 * ```ts
 * passport.use(new MultiSamlStrategy(
 *   { store, getSamlOptions: (req, done) => done(null, tenants[req.params.tenant]) },
 *   (profile, done) => done(null, { id: profile.nameID, issuer: profile.issuer }),
 * ));
 * ```
 */
export class MultiSamlStrategy extends SamlStrategyBase {
  private readonly defaults: Partial<SamlStrategyOptions>;
  private readonly getSamlOptions: MultiSamlStrategyOptions['getSamlOptions'];
  private readonly engines: Map<string, Engine> = new Map();
  private readonly cacheSize: number;

  /**
   * @param options - `getSamlOptions` and the defaults
   * @param verify - `(profile, done)`, or `(req, profile, done)` with `passReqToCallback`
   * @param logoutVerify - called for each session an IdP-initiated logout ended
   */
  constructor(
    options: MultiSamlStrategyOptions & { readonly passReqToCallback: true },
    verify: VerifyWithRequest,
    logoutVerify?: VerifyWithRequest,
  );
  constructor(
    options: MultiSamlStrategyOptions & { readonly passReqToCallback?: false },
    verify: VerifyWithoutRequest,
    logoutVerify?: VerifyWithoutRequest,
  );
  constructor(
    options: MultiSamlStrategyOptions,
    verify: VerifyFunction,
    logoutVerify?: VerifyFunction,
  ) {
    super(options?.name ?? 'saml', verify, logoutVerify, options?.passReqToCallback === true);
    const { getSamlOptions, cacheSize, name: _name, passReqToCallback: _p, ...defaults } = options;
    if (typeof getSamlOptions !== 'function') {
      throw new TypeError('MultiSamlStrategy: getSamlOptions(req, done) must be a function');
    }
    const store: SamlStore = defaults.store ?? new MemoryStore();
    this.defaults = { ...defaults, store };
    this.getSamlOptions = getSamlOptions;
    this.cacheSize = cacheSize ?? 100;
  }

  /** @internal */
  protected override engineFor(req: ExpressRequest): Promise<Engine> {
    return new Promise<SamlStrategyOptions>((resolve, reject) => {
      try {
        this.getSamlOptions(req, (err, samlOptions) => {
          if (err) reject(err);
          else if (!samlOptions)
            reject(new TypeError('MultiSamlStrategy: getSamlOptions gave no options'));
          else resolve(samlOptions);
        });
      } catch (error) {
        reject(error);
      }
    }).then((samlOptions) => {
      const merged = { ...this.defaults, ...samlOptions } as SamlStrategyOptions;
      const key = valueKey(merged);
      let engine = this.engines.get(key);
      if (!engine) {
        engine = this.createEngine(mapSamlOptions(merged));
        this.engines.set(key, engine);
        if (this.engines.size > this.cacheSize) {
          this.engines.delete(this.engines.keys().next().value!);
        }
      }
      return engine;
    });
  }
}
