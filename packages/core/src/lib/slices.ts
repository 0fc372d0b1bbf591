// Where long passes over a document (the pre-parse scan, the streaming canonicalization of a
// federation aggregate) pause, so that the process serves its other requests meanwhile.

/** Characters a long pass reads between two pauses once under way: 2^20. @internal */
export const SLICE_CHARS: number = 1 << 20;

/**
 * Where the slice that starts at `offset` ends. The first `2 × sliceChars` characters are read in
 * slices sixteen times shorter: a pass starts in code that is not yet compiled to machine code,
 * which reads the same characters several times slower, so full slices would hold the thread
 * longest exactly at the start.
 * @param offset - where the pass is
 * @param sliceChars - the length of a slice once under way
 * @returns the offset at which to pause next
 * @internal
 */
export function sliceEnd(offset: number, sliceChars: number): number {
  return offset + (offset < 2 * sliceChars ? Math.max(1, sliceChars >> 4) : sliceChars);
}
