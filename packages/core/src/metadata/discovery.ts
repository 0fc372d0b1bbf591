import { describeValue, SamlError } from '../errors.js';

/** Options for {@link createDiscoveryRedirect}. */
export interface DiscoveryRedirectOptions {
  /** The discovery service's URL. */
  readonly discoveryUrl: string;
  /** The SP's entity ID (`entityID` parameter). */
  readonly spEntityId: string;
  /**
   * Where the discovery service sends the browser back (`return`); it must be one of the SP
   * metadata's `idpdisc:DiscoveryResponse` locations.
   */
  readonly returnUrl?: string;
  /** Name of the query parameter carrying the chosen IdP (default `entityID`). */
  readonly returnIdParam?: string;
  /** Ask the service not to interact with the user (`isPassive=true`). */
  readonly isPassive?: boolean;
  /** Selection policy URI (default: the protocol's single-IdP policy, left implicit). */
  readonly policy?: string;
}

/**
 * Builds the URL that sends the browser to a SAML IdP discovery service (a "where are you
 * from?" page of a federation), which later returns with the chosen IdP's entityID.
 *
 * @param options - the service, the SP entity ID, the return URL
 * @returns the URL to redirect the browser to
 * @throws SamlError `CONFIG_INVALID` when a URL is not absolute
 *
 * @example
 * ```ts
 * const location = createDiscoveryRedirect({
 *   discoveryUrl: 'https://ds.federation.example/ds',
 *   spEntityId: sp.entityId,
 *   returnUrl: 'https://app.example.com/saml/login',
 * });
 * ```
 *
 * @see SAML IdP Discovery Protocol and Profile (sstc-saml-idp-discovery) §2.4.1
 */
export function createDiscoveryRedirect(options: DiscoveryRedirectOptions): string {
  let url: URL;
  try {
    url = new URL(options.discoveryUrl);
    if (options.returnUrl !== undefined) new URL(options.returnUrl);
  } catch {
    throw new SamlError('CONFIG_INVALID', 'A discovery URL is not absolute.', {
      expected: 'absolute discoveryUrl and returnUrl',
      found: `${describeValue(options.discoveryUrl)}, ${describeValue(options.returnUrl)}`,
    });
  }
  url.searchParams.set('entityID', options.spEntityId);
  if (options.returnUrl !== undefined) url.searchParams.set('return', options.returnUrl);
  if (options.returnIdParam !== undefined)
    url.searchParams.set('returnIDParam', options.returnIdParam);
  if (options.policy !== undefined) url.searchParams.set('policy', options.policy);
  if (options.isPassive !== undefined) url.searchParams.set('isPassive', String(options.isPassive));
  return url.toString();
}

/**
 * Reads the IdP a discovery service chose from the URL it returned the browser to. The value is
 * only a choice, not a proof: it is accepted only when it names an IdP the SP already trusts.
 *
 * @param returned - the URL (or its query string) the browser came back with
 * @param options - the parameter name and the trusted entity IDs
 * @returns the chosen entityID, or undefined when the service returned none (no choice made)
 * @throws SamlError `IDP_UNKNOWN` when the chosen IdP is not trusted
 *
 * @example
 * ```ts
 * const entityId = parseDiscoveryResponse(request.url, { trusted: idps.entityIds });
 * if (entityId) return login(await idps.resolve({ entityId }));
 * ```
 *
 * @see SAML IdP Discovery Protocol and Profile §2.4.2
 */
export function parseDiscoveryResponse(
  returned: string | URL,
  options: { readonly returnIdParam?: string; readonly trusted: readonly string[] },
): string | undefined {
  const text = String(returned);
  const query = text.includes('?') ? text.slice(text.indexOf('?') + 1) : text;
  const value = new URLSearchParams(query.split('#')[0]).get(options.returnIdParam ?? 'entityID');
  if (value === null || value === '') return undefined;
  if (!options.trusted.includes(value)) {
    throw new SamlError(
      'IDP_UNKNOWN',
      'The discovery service chose an IdP this SP does not trust.',
      {
        expected: `one of ${options.trusted.length} configured IdPs`,
        found: describeValue(value),
        hint: 'add the IdP to the SP configuration, or restrict the discovery service to the SP’s IdPs',
      },
    );
  }
  return value;
}
