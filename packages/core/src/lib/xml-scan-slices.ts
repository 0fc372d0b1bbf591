// The pre-parse scan of a large document (a federation aggregate of tens of megabytes) in slices,
// with a pause between them, so that the requests a process serves go on while it reads one.
import { SLICE_CHARS, sliceEnd } from './slices.js';
import { type ScanLimits, type ScanResult, scanPass } from './xml-scan.js';

/**
 * The pre-parse scan (`scanXml`) in slices: after about `sliceChars` characters of input (a
 * token is never split; shorter slices at the start, see `sliceEnd`) it awaits `pause()` (a
 * macrotask, say), so that scanning tens of megabytes does not hold the thread. The same checks in the same order, the same result and the same errors.
 * @param text - the document, without a byte order mark
 * @param limits - the resolved limits
 * @param offset - added to positions in messages (the length of a stripped byte order mark)
 * @param pause - awaited between slices
 * @param sliceChars - characters read between two pauses (default 2^20)
 * @returns what the scan learnt
 * @throws SamlError as {@link scanXml}
 * @internal
 */
export async function scanXmlInSlices(
  text: string,
  limits: ScanLimits,
  offset: number,
  pause: () => Promise<void>,
  sliceChars: number = SLICE_CHARS,
): Promise<ScanResult> {
  const pass = scanPass(text, limits, offset);
  while (pass.advance(sliceEnd(pass.offset(), sliceChars) - pass.offset())) await pause();
  return pass.result();
}
