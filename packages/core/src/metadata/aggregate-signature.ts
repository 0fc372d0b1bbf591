// The signature of a federation aggregate: SignedInfo checked with the pinned keys (XML-DSig
// §3.2.2), the structure the streaming loader (aggregate.ts) supports.
import {
  assertHashAllowed,
  digestAlgorithm,
  signatureAlgorithmByUri,
} from '../crypto/algorithms.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { describeValue, SamlError } from '../errors.js';
import { fromBase64, utf8 } from '../lib/bytes.js';
import { canonicalize } from '../lib/c14n.js';
import { attr, childElements, NS, requiredChild, textOf } from '../lib/xml.js';
import { verifyBytes } from '../signature/raw.js';
import { C14N, ENVELOPED_SIGNATURE } from '../signature/verify.js';
import type { LoadAggregateOptions } from './aggregate-types.js';

/** A signature check's failure as the aggregate's refusal. @internal */
export function signatureFailure(cause: SamlError): SamlError {
  return new SamlError('METADATA_INVALID', 'The metadata signature does not verify.', {
    expected: 'a valid signature on the aggregate by the pinned certificate',
    found: cause.message,
    hint: 'check that the pinned certificate is the current metadata-signing certificate of the federation',
    signatureCode: cause.code,
    cause,
  });
}

/**
 * XML-DSig §3.2.2: the SignatureValue over the canonical SignedInfo with the pinned keys; the
 * structure as SAML core §5.4 and this loader allow. Returns the digest to compare.
 * @internal
 */
export async function checkSignedInfo(
  signature: Element,
  rootId: string,
  options: LoadAggregateOptions,
  crypto: CryptoProvider,
): Promise<{ hash: 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512'; value: Uint8Array }> {
  const allowSha1 = options.allowSha1 ?? false;
  const signedInfo = requiredChild(signature, NS.ds, 'SignedInfo');
  const [c14nEl, methodEl, ...refs] = childElements(signedInfo);
  const structure = (what: string) =>
    new SamlError('SIGNATURE_STRUCTURE_INVALID', 'SignedInfo is malformed.', {
      expected: 'CanonicalizationMethod, SignatureMethod, one Reference (XML-DSig §4.4)',
      found: what,
    });
  if (!c14nEl || c14nEl.namespaceURI !== NS.ds || c14nEl.localName !== 'CanonicalizationMethod')
    throw structure('no CanonicalizationMethod first');
  if (!methodEl || methodEl.namespaceURI !== NS.ds || methodEl.localName !== 'SignatureMethod')
    throw structure('no SignatureMethod second');
  const reference = refs[0];
  if (
    refs.length !== 1 ||
    reference!.namespaceURI !== NS.ds ||
    reference!.localName !== 'Reference'
  ) {
    throw new SamlError(
      'SIGNATURE_REFERENCE_INVALID',
      'The signature must have exactly one Reference.',
      {
        expected: 'one ds:Reference to the root (SAML core §5.4.2)',
        found: `${refs.length} elements after SignatureMethod`,
      },
    );
  }
  const sigUri = attr(methodEl, 'Algorithm') ?? '';
  if (/hmac/i.test(sigUri) || childElements(methodEl).length > 0) {
    throw new SamlError('SIGNATURE_ALGORITHM_FORBIDDEN', 'HMAC signatures are never accepted.', {
      expected: 'an RSA or ECDSA signature',
      found: describeValue(sigUri),
    });
  }
  const algorithm = signatureAlgorithmByUri(sigUri);
  assertHashAllowed(algorithm.hash, algorithm.uri, allowSha1);
  const siC14n = attr(c14nEl, 'Algorithm');
  if (
    (siC14n !== C14N.exclusive && siC14n !== C14N.inclusive) ||
    childElements(c14nEl).length > 0
  ) {
    throw new SamlError(
      'SIGNATURE_TRANSFORM_FORBIDDEN',
      'The CanonicalizationMethod is not allowed.',
      {
        expected: `${C14N.exclusive} or ${C14N.inclusive}, without parameters`,
        found: describeValue(siC14n),
      },
    );
  }
  if (attr(reference!, 'URI') !== `#${rootId}`) {
    throw new SamlError(
      'SIGNATURE_REFERENCE_INVALID',
      'The signature does not reference the aggregate.',
      {
        expected: `URI="#${rootId}"`,
        found: describeValue(attr(reference!, 'URI')),
      },
    );
  }
  const transformsEl = childElements(reference!, NS.ds, 'Transforms');
  const transforms = transformsEl.length === 1 ? childElements(transformsEl[0]!) : [];
  if (
    transforms.length !== 2 ||
    transforms.some(
      (t) => t.namespaceURI !== NS.ds || t.localName !== 'Transform' || childElements(t).length > 0,
    ) ||
    attr(transforms[0]!, 'Algorithm') !== ENVELOPED_SIGNATURE ||
    attr(transforms[1]!, 'Algorithm') !== C14N.exclusive
  ) {
    throw new SamlError(
      'SIGNATURE_TRANSFORM_FORBIDDEN',
      'The Reference transforms are not the ones the aggregate loader reads.',
      {
        expected:
          'enveloped-signature, then exclusive c14n without an InclusiveNamespaces PrefixList',
        found: transforms.map((t) => attr(t, 'Algorithm') ?? t.localName).join(', ') || 'none',
        hint: 'load this aggregate with parseIdpMetadata (DOM) instead',
      },
    );
  }
  const digest = digestAlgorithm(
    attr(requiredChild(reference!, NS.ds, 'DigestMethod'), 'Algorithm') ?? '',
  );
  assertHashAllowed(digest.hash, digest.uri, allowSha1);
  const digestValue = fromBase64(
    textOf(requiredChild(reference!, NS.ds, 'DigestValue')),
    'DigestValue',
  );
  const canonical = canonicalize(signedInfo, {
    exclusive: siC14n === C14N.exclusive,
    inclusivePrefixes: [],
  });
  const signatureValue = fromBase64(
    textOf(requiredChild(signature, NS.ds, 'SignatureValue')),
    'SignatureValue',
  );
  await verifyBytes(utf8(canonical), signatureValue, algorithm.uri, {
    keys: options.keys,
    allowSha1,
    crypto,
  });
  return { hash: digest.hash, value: digestValue };
}
