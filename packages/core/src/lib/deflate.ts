import { SamlError } from '../errors.js';
import { concatChunks, readCapped } from './stream.js';

/** Default cap on inflated output: 256 KiB, far above any real AuthnRequest or logout message. */
export const DEFAULT_MAX_INFLATED_BYTES: number = 256 * 1024;

/**
 * Size of the compressed slices fed to the decompressor. DEFLATE expands at most ~1032:1, so one
 * slice inflates to at most ~264 KiB; the next slice is fed only after the reader has drained
 * the output so far, so a deflate bomb is refused while only a few slices have been inflated.
 */
const INPUT_SLICE = 256;

/**
 * Feeds `input` to a transform in small slices, honouring backpressure, and stops as soon as
 * `stopped()` says the reader gave up.
 */
async function feed(
  writable: WritableStream<BufferSource>,
  input: Uint8Array,
  stopped: () => boolean,
  slice: number,
): Promise<void> {
  const writer = writable.getWriter();
  try {
    for (let i = 0; i < input.length && !stopped(); i += slice) {
      await writer.ready;
      await writer.write(input.slice(i, i + slice));
    }
    if (!stopped()) await writer.close();
  } catch {
    // The reader reports the error (corrupt data, or cancelled on purpose).
  }
}

/**
 * Compresses bytes with raw DEFLATE (RFC 1951, no zlib header), as the HTTP-Redirect binding's
 * `urn:oasis:names:tc:SAML:2.0:bindings:URL-Encoding:DEFLATE` encoding requires.
 *
 * @param data - the bytes to compress
 * @returns the compressed bytes
 * @see SAML 2.0 bindings §3.4.4.1
 * @internal
 */
export async function deflateRaw(data: Uint8Array): Promise<Uint8Array> {
  const stream = new CompressionStream('deflate-raw');
  let failed = false;
  // Compression only shrinks data, so large slices are safe here.
  const writing = feed(stream.writable, data, () => failed, 64 * 1024);
  try {
    return await readCapped(stream.readable, Number.POSITIVE_INFINITY, () =>
      tooLarge(Number.POSITIVE_INFINITY),
    );
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    await writing;
  }
}

/**
 * Inflates raw DEFLATE data with a hard cap on the output size. The output is read chunk by
 * chunk and decompression is aborted the moment the cap is passed.
 *
 * @param data - raw DEFLATE bytes
 * @param maxBytes - the most inflated bytes accepted (default {@link DEFAULT_MAX_INFLATED_BYTES})
 * @returns the inflated bytes
 * @throws SamlError `INFLATE_TOO_LARGE` when the output would exceed `maxBytes`;
 *   `INFLATE_FAILED` when the data is not valid raw DEFLATE (corrupt, truncated, zlib-wrapped)
 * @see SAML 2.0 bindings §3.4.4.1
 * @internal
 */
export async function inflateRaw(
  data: Uint8Array,
  maxBytes: number = DEFAULT_MAX_INFLATED_BYTES,
): Promise<Uint8Array> {
  if (!(Number.isSafeInteger(maxBytes) && maxBytes > 0)) {
    throw new TypeError('inflateRaw: maxBytes must be a positive integer');
  }
  if (data.length === 0) {
    throw new SamlError('INFLATE_FAILED', 'The compressed message is empty.', {
      expected: 'raw DEFLATE data',
      found: '0 bytes',
    });
  }
  const stream = new DecompressionStream('deflate-raw');
  const reader = stream.readable.getReader();
  const writer = stream.writable.getWriter();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const take = (value: Uint8Array): void => {
    total += value.byteLength;
    if (total > maxBytes) throw tooLarge(maxBytes);
    chunks.push(value);
  };
  try {
    let pendingRead = reader.read();
    // Feed one slice at a time, and only once the reader has drained everything the previous
    // slice produced: the write has settled and a read stayed unanswered across a macrotask.
    // Runtimes whose DecompressionStream does not apply backpressure to its input (Node's) would
    // otherwise inflate the whole bomb into their internal queue before the reader sees the cap.
    for (let i = 0; ; i += INPUT_SLICE) {
      const last = i >= data.length;
      const op = last ? writer.close() : writer.write(data.slice(i, i + INPUT_SLICE));
      let settled = false;
      op.then(
        () => {
          settled = true;
        },
        () => {
          settled = true; // the reader reports the error
        },
      );
      for (;;) {
        const r = await Promise.race([pendingRead, nextMacrotask()]);
        if (r === TICK) {
          if (settled) break;
          continue;
        }
        if (r.done) return concatChunks(chunks, total);
        take(r.value);
        pendingRead = reader.read();
      }
      if (last) break;
    }
    for (;;) {
      const r = await pendingRead;
      if (r.done) return concatChunks(chunks, total);
      take(r.value);
      pendingRead = reader.read();
    }
  } catch (cause) {
    reader.cancel().catch(() => {});
    writer.abort().catch(() => {});
    if (cause instanceof SamlError) throw cause;
    throw new SamlError('INFLATE_FAILED', 'The message could not be inflated.', {
      expected: 'raw DEFLATE data (RFC 1951, no zlib or gzip header)',
      found: `${data.length} bytes that are not valid raw DEFLATE`,
      hint: 'a HTTP-POST value is not deflated; a value from a URL must be URL-decoded, then base64-decoded',
      cause,
    });
  }
}

const TICK = Symbol('tick');

function nextMacrotask(): Promise<typeof TICK> {
  return new Promise((resolve) => setTimeout(() => resolve(TICK), 0));
}

function tooLarge(cap: number): SamlError {
  return new SamlError('INFLATE_TOO_LARGE', 'The compressed message inflates beyond the limit.', {
    expected: `at most ${cap} bytes once inflated`,
    found: `more than ${cap} bytes`,
    hint: 'this is typical of a deflate bomb; raise maxInflatedBytes only for a legitimate, huge message',
  });
}
