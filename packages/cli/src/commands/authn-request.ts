import {
  type AuthnContextComparison,
  type AuthnRequestOptions,
  createAuthnRequest,
  encodeRedirect,
  loadPrivateKey,
  renderPostForm,
  signXml,
} from '@samlkit/core';
import { type Command, stringFlag, stringList, UsageError } from '../command.js';

const usage = `Usage: samlkit authn-request --idp-sso-url URL --sp-entity-id ID --acs URL [options]

Builds an AuthnRequest and prints the HTTP-Redirect URL (default) or the HTML of the
auto-submitting HTTP-POST form. The request ID goes to standard error.

Options:
  --idp-sso-url URL        the IdP SingleSignOnService URL (Destination)
  --sp-entity-id ID        the SP entity ID (Issuer)
  --acs URL                the AssertionConsumerServiceURL (the Response comes back by HTTP-POST)
  --binding redirect|post  how to send the request (default redirect)
  --force-authn            ask the IdP to authenticate the user again
  --is-passive             ask the IdP not to interact with the user
  --relay-state S          RelayState to send along (at most 80 bytes)
  --name-id-format URI     NameIDPolicy Format (AllowCreate="true")
  --authn-context URI      RequestedAuthnContext class (repeatable)
  --comparison C           exact | minimum | maximum | better (default exact)
  --sign-key FILE          PEM private key: signs the query (redirect) or the XML (post)
  --sign-cert FILE         PEM certificate to put in the XML signature's KeyInfo (post)
  -h, --help               show this help
`;

const COMPARISONS = ['exact', 'minimum', 'maximum', 'better'];

const command: Command = {
  summary: 'build an AuthnRequest and print the Redirect URL or POST form',
  usage,
  options: {
    'idp-sso-url': { type: 'string' },
    'sp-entity-id': { type: 'string' },
    acs: { type: 'string' },
    binding: { type: 'string' },
    'force-authn': { type: 'boolean' },
    'is-passive': { type: 'boolean' },
    'relay-state': { type: 'string' },
    'name-id-format': { type: 'string' },
    'authn-context': { type: 'string', multiple: true },
    comparison: { type: 'string' },
    'sign-key': { type: 'string' },
    'sign-cert': { type: 'string' },
  },
  async run(args, io) {
    const destination = stringFlag(args, 'idp-sso-url', true);
    const issuer = stringFlag(args, 'sp-entity-id', true);
    const acs = stringFlag(args, 'acs', true);
    const binding = stringFlag(args, 'binding') ?? 'redirect';
    if (binding !== 'redirect' && binding !== 'post') {
      throw new UsageError('--binding must be redirect or post');
    }
    for (const [flag, value] of [
      ['idp-sso-url', destination],
      ['acs', acs],
    ] as const) {
      if (!URL.canParse(value)) throw new UsageError(`--${flag} must be an absolute URL`);
    }
    const relayState = stringFlag(args, 'relay-state');
    const comparison = stringFlag(args, 'comparison');
    if (comparison !== undefined && !COMPARISONS.includes(comparison)) {
      throw new UsageError(`--comparison must be one of ${COMPARISONS.join(', ')}`);
    }
    const classRefs = stringList(args, 'authn-context');
    if (comparison !== undefined && classRefs.length === 0) {
      throw new UsageError('--comparison needs at least one --authn-context');
    }
    const keyFile = stringFlag(args, 'sign-key');
    const certFile = stringFlag(args, 'sign-cert');
    if (certFile !== undefined && keyFile === undefined) {
      throw new UsageError('--sign-cert needs --sign-key');
    }
    const nameIdFormat = stringFlag(args, 'name-id-format');

    const options: AuthnRequestOptions = {
      issuer,
      destination,
      assertionConsumerServiceUrl: acs,
      protocolBinding: 'post',
      now: io.now(),
      ...(args.values['force-authn'] === true && { forceAuthn: true }),
      ...(args.values['is-passive'] === true && { isPassive: true }),
      ...(nameIdFormat !== undefined && {
        nameIdPolicy: { format: nameIdFormat, allowCreate: true },
      }),
      ...(classRefs.length > 0 && {
        requestedAuthnContext: {
          classRefs: classRefs as [string, ...string[]],
          ...(comparison !== undefined && { comparison: comparison as AuthnContextComparison }),
        },
      }),
    };
    const { id, xml } = createAuthnRequest(options);
    const key = keyFile === undefined ? undefined : loadPrivateKey(await io.readFile(keyFile));
    const certificate = certFile === undefined ? undefined : await io.readFile(certFile);

    if (binding === 'redirect') {
      const url = await encodeRedirect({
        destination,
        type: 'SAMLRequest',
        xml,
        ...(relayState !== undefined && { relayState }),
        ...(key !== undefined && { sign: { key } }),
      });
      io.stdout(`${url}\n`);
    } else {
      // SAML bindings §3.5.5.1: with HTTP-POST the signature is inside the XML.
      const body =
        key === undefined
          ? xml
          : await signXml(xml, { key, ...(certificate !== undefined && { certificate }) });
      io.stdout(
        renderPostForm({
          action: destination,
          type: 'SAMLRequest',
          xml: body,
          ...(relayState !== undefined && { relayState }),
        }),
      );
    }
    io.stderr(`request ID: ${id}\n`);
    return 0;
  },
};

export default command;
