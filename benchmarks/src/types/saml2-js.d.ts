// saml2-js ships no types; the harness uses only these.
declare module 'saml2-js' {
  export class ServiceProvider {
    constructor(options: Record<string, unknown>);
    post_assert(
      idp: IdentityProvider,
      options: Record<string, unknown>,
      cb: (err: Error | null, response: never) => void,
    ): void;
  }
  export class IdentityProvider {
    constructor(options: Record<string, unknown>);
  }
  const saml2: {
    ServiceProvider: typeof ServiceProvider;
    IdentityProvider: typeof IdentityProvider;
  };
  export default saml2;
}
