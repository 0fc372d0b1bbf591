import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SamlError } from '../../src/errors.js';
import { sliceEnd } from '../../src/lib/slices.js';
import { resolveXmlLimits } from '../../src/lib/xml.js';
import { type ScanResult, scanXml } from '../../src/lib/xml-scan.js';
import { scanXmlInSlices } from '../../src/lib/xml-scan-slices.js';

// The pre-parse scan in slices (XML 1.0 §2–§4 and the structural limits) must accept and refuse
// exactly what the one-piece scan does, with the same result and the same error, wherever the
// slices fall.

const limits = resolveXmlLimits({ maxDepth: 6, maxTextLength: 40, maxAttributes: 3 });

const docs = [
  '<?xml version="1.0" encoding="UTF-8"?>\n<!--pre--><r a="1" b=\'&amp;\'><c/>text &#x41; more<![CDATA[<x> & ]]><?pi data?></r>\n<!--post-->',
  '<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" ID="x"><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:Reference/></ds:SignedInfo></ds:Signature><md:EntityDescriptor entityID="https://idp">é 😀</md:EntityDescriptor></md:EntitiesDescriptor>',
  '<?xml version="1.0" encoding="ISO-8859-1"?><r>ascii only</r>',
  `<r>${'<e k="v">text &lt; more</e>'.repeat(12)}</r>`,
];

type Outcome = { ok: ScanResult } | { code: string; message: string; details: unknown };

function outcome(run: () => ScanResult): Outcome {
  try {
    return { ok: run() };
  } catch (e) {
    expect(e).toBeInstanceOf(SamlError);
    const err = e as SamlError;
    return { code: err.code, message: err.message, details: err.details };
  }
}

async function outcomeAsync(run: () => Promise<ScanResult>): Promise<Outcome> {
  try {
    return { ok: await run() };
  } catch (e) {
    expect(e).toBeInstanceOf(SamlError);
    const err = e as SamlError;
    return { code: err.code, message: err.message, details: err.details };
  }
}

describe('sliceEnd', () => {
  it('moves forward, in short slices for the first two full slices, then in full ones (property)', () => {
    fc.assert(
      fc.property(fc.nat(1 << 24), fc.integer({ min: 1, max: 1 << 21 }), (offset, chars) => {
        const end = sliceEnd(offset, chars);
        expect(end).toBeGreaterThan(offset);
        expect(end - offset).toBe(offset < 2 * chars ? Math.max(1, chars >> 4) : chars);
      }),
    );
  });
});

describe('scanXmlInSlices', () => {
  it('accepts and refuses what scanXml does, with the same result or error (property)', async () => {
    // A document, possibly cut short or with one character put in anywhere: well-formed or not,
    // within the limits or not.
    const doc = fc
      .tuple(
        fc.constantFrom(...docs),
        fc.nat(),
        fc.constantFrom('', '<', '>', '&', ']]>', '"', '<x>', '</r>', '<!DOCTYPE r>', '\u0001'),
        fc.boolean(),
      )
      .map(([xml, at, insert, cut]) => {
        const k = at % (xml.length + 1);
        return cut ? xml.slice(0, k) : xml.slice(0, k) + insert + xml.slice(k);
      });
    await fc.assert(
      fc.asyncProperty(doc, fc.integer({ min: 1, max: 48 }), async (xml, slice) => {
        const whole = outcome(() => scanXml(xml, limits));
        let pauses = 0;
        const sliced = await outcomeAsync(() =>
          scanXmlInSlices(
            xml,
            limits,
            0,
            async () => {
              pauses++;
            },
            slice,
          ),
        );
        expect(sliced).toEqual(whole);
        // Never more pauses than slices of input (sixteen times shorter at the start).
        expect(pauses).toBeLessThanOrEqual(Math.ceil(xml.length / Math.max(1, slice >> 4)));
      }),
      { numRuns: 400 },
    );
  });

  it('pauses between slices of a long document, so that other work runs meanwhile', async () => {
    const xml = docs[3]!;
    const order: string[] = [];
    const pending = scanXmlInSlices(
      xml,
      limits,
      0,
      () =>
        new Promise<void>((resolve) => {
          order.push('pause');
          setTimeout(resolve, 0);
        }),
      64,
    ).then((r) => {
      order.push('done');
      return r;
    });
    setTimeout(() => order.push('timer'), 0);
    expect((await pending).nodes).toBe(scanXml(xml, limits).nodes);
    // The timer set after the scan started ran before it finished.
    expect(order.indexOf('timer')).toBeGreaterThan(-1);
    expect(order.indexOf('timer')).toBeLessThan(order.indexOf('done'));
    expect(order.filter((o) => o === 'pause').length).toBeGreaterThanOrEqual(
      Math.floor(xml.length / 64) - 2,
    );
  });
});
