import { describe, expect, it } from 'vitest';
import { SamlError } from '../../src/errors.js';
import { readBodyCapped } from '../../src/lib/outbound.js';

/** A response whose body arrives in exactly these chunks. */
function chunked(chunks: readonly Uint8Array[]): Response {
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]!);
      else controller.close();
    },
  });
  return new Response(body);
}

describe('readBodyCapped', () => {
  const bytes = new TextEncoder().encode('<a>é€𝄞</a>'); // 2-, 3- and 4-byte UTF-8 sequences

  it('decodes UTF-8 sequences split across chunks', async () => {
    // One byte per chunk splits every multi-byte character.
    const oneByOne = [...bytes].map((b) => Uint8Array.of(b));
    expect(await readBodyCapped(chunked(oneByOne), 1000, 'the metadata', 'https://x/')).toBe(
      '<a>é€𝄞</a>',
    );
    // A split inside the 4-byte character (𝄞 starts at byte 3 + 2 + 3 = 8).
    const split = [bytes.subarray(0, 10), bytes.subarray(10)];
    expect(await readBodyCapped(chunked(split), 1000, 'the metadata', 'https://x/')).toBe(
      '<a>é€𝄞</a>',
    );
  });

  it('accepts exactly the cap and refuses one byte more, with the same error', async () => {
    const cap = bytes.byteLength;
    const halves = [bytes.subarray(0, 5), bytes.subarray(5)];
    expect(await readBodyCapped(chunked(halves), cap, 'the metadata', 'https://x/')).toBe(
      '<a>é€𝄞</a>',
    );
    const err = await readBodyCapped(chunked(halves), cap - 1, 'the metadata', 'https://x/').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SamlError);
    expect((err as SamlError).code).toBe('XML_TOO_LARGE');
    expect((err as SamlError).message).toContain('The metadata is larger than the size limit.');
    expect((err as SamlError).details.found).toBe(`more than ${cap - 1} bytes`);
    expect((err as SamlError).details.expected).toBe(`at most ${cap - 1} bytes`);
  });
});
