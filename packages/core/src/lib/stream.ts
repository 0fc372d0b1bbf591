/**
 * Reads a byte stream to its end, refusing it as soon as more than `cap` bytes arrived: the read
 * stops at once and the stream is cancelled (which also aborts a decompressor feeding it); a
 * cancel that fails is ignored, the refusal stands. Used for request and response bodies and for
 * inflated Redirect-binding messages, so that no input is buffered past its limit.
 * @param stream - the bytes
 * @param cap - the most bytes accepted
 * @param tooLarge - the error to throw once past the cap
 * @returns every byte, in one array
 * @internal
 */
export async function readCapped(
  stream: ReadableStream<Uint8Array>,
  cap: number,
  tooLarge: () => Error,
): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > cap) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  return concatChunks(chunks, total);
}

/** The chunks in one array of `total` bytes (their summed length). @internal */
export function concatChunks(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.byteLength;
  }
  return out;
}
