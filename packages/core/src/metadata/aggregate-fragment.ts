// The parts of an indexed EntityDescriptor that parseIdpMetadata reads, recorded as byte ranges of
// the verified aggregate while the streaming pass (aggregate.ts) indexes it, so that the first
// lookup of an IdP builds the DOM of those parts only.
//
// parseIdpMetadata (idp.ts) reads, of an EntityDescriptor: its own attributes (entityID,
// validUntil, cacheDuration), the shibmd:Scope children of its md:Extensions, its
// IDPSSODescriptors (SAML metadata §2.4.3) and, of those, their attributes and every child except
// what md:Extensions holds besides shibmd:Scope; and, to name them in an error, the other role
// descriptors' names. The fragment keeps exactly that:
//   - the EntityDescriptor's start and end tag, as written (namespace declarations included);
//   - each md:IDPSSODescriptor whole, except that its md:Extensions keep only their shibmd:Scope
//     children (mdui:UIInfo with inline logos, mdui:DiscoHints and the like are left out);
//   - the entity's md:Extensions with only their shibmd:Scope children (mdrpi:RegistrationInfo,
//     mdattr:EntityAttributes left out: the index has read them already);
//   - every other child (SPSSODescriptor, AttributeAuthorityDescriptor, Organization,
//     ContactPerson, ds:Signature, …) as an empty element: its start and end tag only.
// Start tags are copied verbatim, so every namespace declaration an element makes stays on it;
// the enclosing EntitiesDescriptors' declarations are added by the wrapper (aggregate.ts). A left
// out element's declarations scope over nothing that is kept (Namespaces in XML 1.0 §6.1), and
// comments, processing instructions and white space between elements are not read. The whole
// aggregate's signature covers every byte, so any of its ranges is verified text.
import { NS } from '../lib/xml.js';
import type { StreamElement } from './aggregate-c14n.js';

/** The Shibboleth metadata extension namespace (`<shibmd:Scope>`). */
const SHIBMD = 'urn:mace:shibboleth:metadata:1.0';

/** What is kept of an open element's content. */
type Keep =
  /** Everything (a range copied whole). */
  | 'all'
  /** Only its start and end tag. */
  | 'tags'
  /** Its tags and the children chosen for an EntityDescriptor or an IDPSSODescriptor. */
  | 'role'
  /** Its tags and its shibmd:Scope children (an md:Extensions). */
  | 'scopes'
  /** Nothing (a child of md:Extensions other than shibmd:Scope). */
  | 'none';

/**
 * Records the ranges of one EntityDescriptor at a time, from the streaming pass's events.
 * @internal
 */
export interface FragmentPlanner {
  /** A start tag at `rel` levels below the EntityDescriptor (0: the EntityDescriptor itself). */
  start(el: StreamElement, rel: number): void;
  /** The end of the element opened at `rel`; `end` is the offset just after it. */
  end(rel: number, end: number): void;
  /** The ranges of the entity just ended, as [start, end, start, end, …]; resets the planner. */
  take(): number[];
}

/** A planner over `text` (the aggregate the offsets point into). @internal */
export function createFragmentPlanner(text: string): FragmentPlanner {
  let ranges: number[] = [];
  // Per open element below the entity (by rel): what is kept, and the offset after its start tag.
  const keep: Keep[] = [];
  const tagEnds: number[] = [];
  // The depth (rel) of the outermost open element being skipped whole or copied whole, or -1.
  let quiet = -1;

  const emit = (start: number, end: number): void => {
    const n = ranges.length;
    if (n > 0 && ranges[n - 1] === start) ranges[n - 1] = end;
    else ranges.push(start, end);
  };

  return {
    start(el, rel) {
      if (quiet >= 0 && rel > quiet) return;
      let k: Keep | undefined;
      if (rel === 0) {
        k = 'role';
      } else {
        const parent = keep[rel - 1]!;
        const isExtensions = el.uri === NS.md && el.local === 'Extensions';
        if (parent === 'scopes') {
          k = el.uri === SHIBMD && el.local === 'Scope' ? 'all' : undefined;
        } else if (rel === 1) {
          k = isExtensions
            ? 'scopes'
            : el.uri === NS.md && el.local === 'IDPSSODescriptor'
              ? 'role'
              : 'tags';
        } else {
          // rel 2, inside an IDPSSODescriptor
          k = isExtensions ? 'scopes' : 'all';
        }
      }
      keep[rel] = k ?? 'none';
      tagEnds[rel] = el.tagEnd;
      if (k === undefined) {
        quiet = rel;
        return;
      }
      emit(el.start, el.tagEnd);
      if (k === 'all' || k === 'tags') quiet = rel;
    },
    end(rel, end) {
      if (quiet >= 0 && rel > quiet) return;
      const k = keep[rel]!;
      if (quiet === rel) quiet = -1;
      if (k === 'none') return;
      const tagEnd = tagEnds[rel]!;
      if (end === tagEnd) return; // an empty-element tag: already copied whole
      if (k === 'all') {
        emit(tagEnd, end);
      } else {
        // The end tag `</qname S?>` holds no other `<` (XML 1.0 §3.1 [42]).
        emit(text.lastIndexOf('<', end - 1), end);
      }
    },
    take() {
      const out = ranges;
      ranges = [];
      keep.length = 0;
      tagEnds.length = 0;
      quiet = -1;
      return out;
    },
  };
}

/**
 * The fragment the ranges describe, inside the enclosing EntitiesDescriptors' start tags.
 * @internal
 */
export function fragmentText(
  text: string,
  ranges: readonly number[],
  wrapper: readonly { readonly open: string; readonly close: string }[],
): string {
  let out = '';
  for (const w of wrapper) out += w.open;
  for (let i = 0; i < ranges.length; i += 2) out += text.slice(ranges[i], ranges[i + 1]);
  for (let i = wrapper.length - 1; i >= 0; i--) out += wrapper[i]!.close;
  return out;
}
