import { decodePostBinding, decodeRedirect, isSamlError, SamlError } from '@samlkit/core';
import { type Command, readInputArgument, UsageError } from '../command.js';

const usage = `Usage: samlkit decode <value | URL | ->

Prints the XML of a SAML message taken from a browser trace or a log. The input may be:
  - a whole URL (HTTP-Redirect binding), or a query string or form body carrying
    SAMLRequest=… or SAMLResponse=… (URL-encoded or not)
  - a bare base64 value, deflated (Redirect) or not (POST)
  - XML, printed as it is
  - - to read any of these from standard input

Options:
  --max-inflated-bytes N   refuse messages that inflate beyond N bytes (default 262144)
  -h, --help               show this help
`;

const PARAM = /(?:^|[?&\s])(SAMLRequest|SAMLResponse)=([^&#\s]*)/;

/** The base64 value inside the input: the SAML parameter of a URL/query/form, or the input itself. */
function extractValue(input: string): string {
  const match = PARAM.exec(input);
  let value = match ? match[2]! : input;
  if (value.includes('%')) {
    try {
      // Form bodies and URLs percent-encode +, / and =; base64 itself never contains a space,
      // so a literal + is kept as +.
      value = decodeURIComponent(value);
    } catch {
      throw new SamlError('BINDING_INVALID', 'The value is not valid URL encoding.', {
        expected: 'percent-encoded base64',
        found: JSON.stringify(value.slice(0, 60)),
      });
    }
  }
  return value.replace(/\s+/g, '');
}

/**
 * Decodes any form a SAML message takes in transit: inflates when the value is deflated
 * (Redirect), falls back to plain base64 (POST).
 */
export async function decodeAny(input: string, maxInflatedBytes?: number): Promise<string> {
  const text = input.trim();
  if (text === '') throw new UsageError('the input is empty');
  if (text.startsWith('<')) return text;
  const value = extractValue(text);
  if (value === '') {
    throw new SamlError('BINDING_INVALID', 'The SAML parameter is empty.', {
      expected: 'a base64 value',
      found: 'an empty value',
    });
  }
  const options = maxInflatedBytes === undefined ? {} : { maxInflatedBytes };
  try {
    const { xml } = await decodeRedirect(`SAMLRequest=${encodeURIComponent(value)}`, options);
    if (xml.trimStart().startsWith('<')) return xml;
    // It inflated to something that is not XML: the value was plain base64 after all.
    return decodePostBinding(value);
  } catch (err) {
    // Not deflated (or not deflate at all): an HTTP-POST value is plain base64 of the XML.
    if (isSamlError(err, 'INFLATE_FAILED') || isSamlError(err, 'XML_PARSE_ERROR')) {
      return decodePostBinding(value);
    }
    throw err;
  }
}

const command: Command = {
  summary: 'print the XML of a SAMLRequest/SAMLResponse value, URL or form body',
  usage,
  maxPositionals: 1,
  options: { 'max-inflated-bytes': { type: 'string' } },
  async run(args, io) {
    const arg = args.positionals[0];
    if (arg === undefined) throw new UsageError('give a value, a URL, or - for standard input');
    const capText = args.values['max-inflated-bytes'];
    let cap: number | undefined;
    if (capText !== undefined) {
      cap = Number(capText);
      if (!Number.isSafeInteger(cap) || cap <= 0) {
        throw new UsageError('--max-inflated-bytes must be a positive integer');
      }
    }
    const xml = await decodeAny(await readInputArgument(arg, io), cap);
    io.stdout(xml.endsWith('\n') ? xml : `${xml}\n`);
    return 0;
  },
};

export default command;
