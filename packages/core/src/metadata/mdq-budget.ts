// The budget of MDQ requests for entities not yet known. Whoever sends a Response (any Issuer),
// answers a discovery request (any entityID) or follows /saml/login?idp=… names the entity the SP
// looks up; without a bound, a flood of distinct made-up IDs makes the SP send one MDQ request
// each (an outbound request amplifier). A token bucket bounds those requests; refreshes of
// entities already held are not counted. Time is an input (`now`).
import { describeValue, SamlError } from '../errors.js';

/** How many MDQ requests for entities not yet known a source sends (a token bucket). */
export interface MdqNewEntityBudget {
  /**
   * At most this many requests at once (the bucket's size), refilled evenly over `perMs`.
   * `Infinity` switches the budget off.
   */
  readonly requests: number;
  /** The time over which `requests` requests are allowed (ms). */
  readonly perMs: number;
}

/** The default: 100 requests for new entities per minute, at most 100 at once. */
export const DEFAULT_MDQ_NEW_ENTITY_BUDGET: MdqNewEntityBudget = Object.freeze({
  requests: 100,
  perMs: 60_000,
});

/** A token bucket over the given clock. @internal */
export interface TokenBucket {
  /** Whether a request may be sent now (nothing is spent). */
  available(t: number): boolean;
  /** Spends one request; false (and nothing spent) when the budget is empty. */
  take(t: number): boolean;
  /** When the next request is allowed (epoch ms), for the refusal's message. */
  nextAt(t: number): number;
}

/**
 * Checks the budget option and makes its bucket, full at `start`.
 * @throws TypeError for a budget that is not positive numbers
 * @internal
 */
export function createTokenBucket(budget: MdqNewEntityBudget, start: number): TokenBucket {
  if (
    !budget ||
    typeof budget.requests !== 'number' ||
    Number.isNaN(budget.requests) ||
    budget.requests < 1 ||
    typeof budget.perMs !== 'number' ||
    !Number.isFinite(budget.perMs) ||
    budget.perMs <= 0
  ) {
    throw new TypeError(
      'createMdqSource: newEntityBudget must be { requests: number ≥ 1 (or Infinity), perMs: number > 0 }',
    );
  }
  const { requests, perMs } = budget;
  let tokens = requests;
  let last = start;
  const refill = (t: number): void => {
    // A clock that steps back refills nothing (and never drains the bucket).
    if (t > last) {
      tokens = Math.min(requests, tokens + ((t - last) * requests) / perMs);
      last = t;
    }
  };
  return {
    available(t) {
      if (requests === Infinity) return true;
      refill(t);
      return tokens >= 1;
    },
    take(t) {
      if (requests === Infinity) return true;
      refill(t);
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
    nextAt(t) {
      refill(t);
      return tokens >= 1 ? t : t + Math.ceil(((1 - tokens) * perMs) / requests);
    },
  };
}

/**
 * The refusal of a lookup over the budget.
 * @internal
 */
export function budgetExceeded(
  entityId: string,
  budget: MdqNewEntityBudget,
  baseUrl: string,
  retryAt: number,
): SamlError {
  return new SamlError(
    'METADATA_FETCH_FAILED',
    'The budget of MDQ requests for entities not yet known is spent; no request was sent.',
    {
      expected: `at most ${budget.requests} MDQ requests for new entities per ${budget.perMs} ms to ${baseUrl}`,
      found: `a lookup of ${describeValue(entityId)}, which this SP does not hold, with the budget spent until ${new Date(retryAt).toISOString()}`,
      hint: 'entities already held keep being served and refreshed; a flood of unknown entity IDs (forged Issuers, discovery answers, ?idp=) is refused here. If this is real traffic, raise newEntityBudget.requests',
      budget: { requests: budget.requests, perMs: budget.perMs },
      retryAt,
    },
  );
}
