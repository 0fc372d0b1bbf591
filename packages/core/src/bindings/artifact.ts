import { type CryptoProvider, resolveCrypto } from '../crypto/provider.js';
import { SamlError } from '../errors.js';
import { concatBytes, fromBase64, toBase64, utf8 } from '../lib/bytes.js';
import { randomFill } from '../lib/random.js';

/** The only artifact type SAML 2.0 defines (SAML bindings §3.6.4.2). */
export const ARTIFACT_TYPE_CODE = 0x0004;

/** A decoded type 0x0004 artifact (SAML bindings §3.6.4.2). */
export interface ParsedArtifact {
  /** Always 4. */
  readonly typeCode: number;
  /** The index of the issuer's ArtifactResolutionService to ask. */
  readonly endpointIndex: number;
  /** SHA-1 of the issuer's entity ID (20 bytes). */
  readonly sourceId: Uint8Array;
  /** The issuer's handle for the message (20 bytes). */
  readonly messageHandle: Uint8Array;
}

/** Options of {@link createArtifact}. */
export interface CreateArtifactOptions {
  /** The entity ID of the party issuing the artifact (the IdP). */
  readonly issuer: string;
  /** The index of the issuer's ArtifactResolutionService. Default 0. */
  readonly endpointIndex?: number;
  /** 20 bytes; random by default. */
  readonly messageHandle?: Uint8Array;
  readonly crypto?: CryptoProvider;
}

/** SHA-1 of an entity ID, the SourceID of its artifacts. @internal */
export async function sha1(data: Uint8Array, crypto?: CryptoProvider): Promise<Uint8Array> {
  return new Uint8Array(await resolveCrypto(crypto).subtle.digest('SHA-1', data as BufferSource));
}

/**
 * Decodes a `SAMLart` value: a type 0x0004 artifact of 44 bytes (TypeCode 2, EndpointIndex 2,
 * SourceID 20, MessageHandle 20).
 *
 * @param samlart - the `SAMLart` query or form parameter, already URL-decoded
 * @returns the parts of the artifact
 * @throws SamlError `BASE64_INVALID`, `BINDING_INVALID` (wrong length or type code)
 * @example Reading the endpoint index of a received artifact
 * ```ts
 * const { endpointIndex } = parseArtifact(url.searchParams.get('SAMLart')!);
 * ```
 * @see SAML bindings §3.6.4 (artifact format), §3.6.4.2 (type 0x0004)
 */
export function parseArtifact(samlart: string): ParsedArtifact {
  if (typeof samlart !== 'string') throw new TypeError('parseArtifact: samlart must be a string');
  const bytes = fromBase64(samlart.trim(), 'The SAMLart value');
  if (bytes.length !== 44) {
    throw new SamlError('BINDING_INVALID', 'The SAMLart value is not a SAML 2.0 artifact.', {
      expected:
        '44 bytes: TypeCode, EndpointIndex, SourceID, MessageHandle (SAML bindings §3.6.4.2)',
      found: `${bytes.length} bytes`,
      hint: 'check that the whole SAMLart parameter was received and URL-decoded once',
    });
  }
  const typeCode = (bytes[0]! << 8) | bytes[1]!;
  if (typeCode !== ARTIFACT_TYPE_CODE) {
    throw new SamlError('BINDING_INVALID', 'The artifact has an unknown type code.', {
      expected: 'TypeCode 0x0004 (SAML bindings §3.6.4.2)',
      found: `0x${typeCode.toString(16).padStart(4, '0')}`,
      hint: 'SAML 1.1 artifacts (types 0x0001/0x0002) are not SAML 2.0',
    });
  }
  return {
    typeCode,
    endpointIndex: (bytes[2]! << 8) | bytes[3]!,
    sourceId: bytes.slice(4, 24),
    messageHandle: bytes.slice(24, 44),
  };
}

/**
 * Builds a type 0x0004 artifact for a message held by `issuer` (the IdP side; test IdPs).
 *
 * @param options - issuer entity ID, endpoint index, message handle
 * @returns the base64 `SAMLart` value
 * @throws TypeError for an endpoint index outside 0..65535 or a handle that is not 20 bytes
 * @example A test IdP issuing an artifact
 * ```ts
 * const samlart = await createArtifact({ issuer: 'https://idp.example.org', endpointIndex: 1 });
 * ```
 * @see SAML bindings §3.6.4.2 (SourceID is the SHA-1 of the entity ID; the handle is random)
 */
export async function createArtifact(options: CreateArtifactOptions): Promise<string> {
  if (!options || typeof options.issuer !== 'string' || options.issuer === '') {
    throw new TypeError('createArtifact: issuer must be a non-empty string');
  }
  const index = options.endpointIndex ?? 0;
  if (!Number.isInteger(index) || index < 0 || index > 0xffff) {
    throw new TypeError('createArtifact: endpointIndex must be an integer in 0..65535');
  }
  let handle = options.messageHandle;
  if (handle === undefined) {
    handle = new Uint8Array(20);
    randomFill(handle, options.crypto);
  }
  if (!(handle instanceof Uint8Array) || handle.length !== 20) {
    throw new TypeError('createArtifact: messageHandle must be 20 bytes');
  }
  const header = new Uint8Array([0x00, 0x04, index >> 8, index & 0xff]);
  const sourceId = await sha1(utf8(options.issuer), options.crypto);
  return toBase64(concatBytes(header, sourceId, handle));
}
