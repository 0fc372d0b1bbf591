// Regular-expression scopes (`<shibmd:Scope regexp="true">`, Shibboleth Metadata Extensions §2.1)
// come from metadata: in a federation, from thousands of IdPs the SP has never vetted. Handing
// such a pattern to a backtracking engine (JavaScript's RegExp) lets one pattern like `(a+)+$`
// take exponential time on a crafted scope. So a regexp scope is compiled here, by samlkit's own
// code, into a Thompson NFA (Thompson 1968; Cox, "Regular Expression Matching Can Be Simple And
// Fast") and run by simulation: every input character advances a set of at most `states` NFA
// states once, so a match costs O(pattern states × scope length) whatever the pattern, and both
// factors are bounded (MAX_PATTERN_LENGTH, MAX_STATES, MAX_SCOPE_LENGTH).
//
// The syntax is the subset on which Java's java.util.regex (what Shibboleth evaluates them with)
// and ECMAScript agree: literals, `\` before punctuation, `.`, classes `[a-z0-9.-]` / `[^…]` with
// `\d \w \s` (and their negations), groups `( )` / `(?: )`, `|`, `* + ?` (a lazy `?` suffix is
// allowed: it cannot change whether a whole string matches), `{n}`, `{n,}`, `{n,m}`, and `^` / `$`.
// Anything else (back-references, look-around, possessive quantifiers, nested classes, `\b`, `\p`)
// is refused: such a scope grants nothing. The match is anchored (Shibboleth uses `matches()`,
// the whole scope) and ASCII case-insensitive like literal scopes.

/** Longest regexp scope compiled, in characters. Real ones are under 100. */
export const MAX_PATTERN_LENGTH = 256;
/**
 * Most NFA states a pattern may expand to (counted repetitions are copied). Real scope patterns
 * need a few dozen; each state costs work on every character of every scope matched.
 */
export const MAX_STATES = 512;
/** Longest scope matched against a regexp (DNS names are at most 253 characters, RFC 1035 §2.3.4). */
export const MAX_SCOPE_LENGTH = 255;
/** Largest bound in `{n,m}`. DNS labels are at most 63 characters. */
const MAX_REPEAT = 100;

type Test = (c: number) => boolean;
type Ast =
  | { readonly t: 'alt'; readonly items: readonly Ast[] }
  | { readonly t: 'seq'; readonly items: readonly Ast[] }
  | { readonly t: 'rep'; readonly node: Ast; readonly min: number; readonly max: number }
  | { readonly t: 'set'; readonly test: Test }
  | { readonly t: 'bol' }
  | { readonly t: 'eol' };

class PatternError extends Error {}

const isDigit: Test = (c) => c >= 48 && c <= 57;
const isWord: Test = (c) => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
// \s as both engines read it for ASCII; scopes never contain the other spaces validly.
const isSpace: Test = (c) => c === 32 || (c >= 9 && c <= 13);
// `.`: any character but line terminators (ECMAScript §22.2.2.8; java.util.regex.Pattern).
const isDot: Test = (c) => c !== 10 && c !== 13 && c !== 0x85 && c !== 0x2028 && c !== 0x2029;
const not =
  (t: Test): Test =>
  (c) =>
    !t(c);

/** Parses the subset; throws PatternError outside it. */
function parse(source: string): Ast {
  let i = 0;
  const peek = () => source[i];
  const fail = (why: string): never => {
    throw new PatternError(`${why} at ${i}`);
  };

  const classEscape = (): Test => {
    const e = source[i++];
    if (e === undefined) return fail('dangling \\');
    if (e === 'd') return isDigit;
    if (e === 'D') return not(isDigit);
    if (e === 'w') return isWord;
    if (e === 'W') return not(isWord);
    if (e === 's') return isSpace;
    if (e === 'S') return not(isSpace);
    // Only punctuation may be escaped: letters and digits after \ mean different things in the
    // two engines (\b, \p, \1, \Q…) or nothing.
    if (/[A-Za-z0-9]/.test(e) || e.charCodeAt(0) > 0x7e || e.charCodeAt(0) < 0x21)
      return fail(`unsupported escape \\${e}`);
    const code = e.charCodeAt(0);
    return (c) => c === code;
  };

  const charClass = (): Test => {
    // After '['.
    const negate = peek() === '^';
    if (negate) i++;
    const tests: Test[] = [];
    let first = true;
    for (;;) {
      const ch = source[i];
      if (ch === undefined) return fail('unterminated [');
      if (ch === ']' && !first) {
        i++;
        break;
      }
      // Java reads '[' and '&&' inside a class as nesting / intersection, ECMAScript as literals.
      if (ch === '[' || ch === ']' || (ch === '&' && source[i + 1] === '&'))
        return fail(`ambiguous ${ch} in a class`);
      first = false;
      let lo: number | Test;
      i++;
      if (ch === '\\') {
        const t = classEscape();
        const prev = source[i - 1]!;
        lo = /[dDwWsS]/.test(prev) ? t : prev.charCodeAt(0);
      } else {
        lo = ch.charCodeAt(0);
      }
      // [\d-z]: a range from a class is an error in Java, two items and '-' in ECMAScript.
      if (typeof lo !== 'number' && source[i] === '-' && source[i + 1] !== ']')
        return fail('range from a class escape');
      if (
        typeof lo === 'number' &&
        source[i] === '-' &&
        source[i + 1] !== ']' &&
        source[i + 1] !== undefined
      ) {
        i++;
        let hiCh = source[i++]!;
        if (hiCh === '\\') {
          const e = source[i++];
          if (e === undefined || /[A-Za-z0-9]/.test(e)) return fail('unsupported range end');
          hiCh = e;
        } else if (hiCh === '[') {
          return fail('ambiguous [ in a class');
        }
        const a = lo;
        const b = hiCh.charCodeAt(0);
        if (b < a) return fail('reversed range');
        tests.push((c) => c >= a && c <= b);
      } else if (typeof lo === 'number') {
        const a = lo;
        tests.push((c) => c === a);
      } else {
        tests.push(lo);
      }
    }
    // Case folding applies to the members before a negation (ECMAScript §22.2.2.7.3
    // CharacterSetMatcher canonicalizes both sides): [^a] matches neither a nor A.
    const any: Test = caseInsensitive((c) => tests.some((t) => t(c)));
    return negate ? not(any) : any;
  };

  const number = (): number => {
    const m = /^[0-9]{1,3}/.exec(source.slice(i));
    if (!m) return fail('expected a number');
    i += m[0].length;
    return Number(m[0]);
  };

  const atom = (): Ast => {
    const ch = source[i++]!;
    switch (ch) {
      case '(': {
        if (peek() === '?') {
          if (source[i + 1] !== ':') return fail('unsupported group');
          i += 2;
        }
        const inner = alternation();
        if (source[i++] !== ')') return fail('unterminated (');
        return inner;
      }
      case '[':
        return { t: 'set', test: charClass() };
      case '.':
        return { t: 'set', test: isDot };
      case '^':
        return { t: 'bol' };
      case '$':
        return { t: 'eol' };
      case '\\':
        return { t: 'set', test: classEscape() };
      case ')':
      case '*':
      case '+':
      case '?':
      case '{':
      case '}':
      case ']':
        return fail(`unexpected ${ch}`);
      default: {
        const code = ch.charCodeAt(0);
        return { t: 'set', test: (c) => c === code };
      }
    }
  };

  const quantified = (): Ast => {
    let node = atom();
    for (;;) {
      const q = peek();
      let min: number;
      let max: number;
      if (q === '*') [min, max] = [0, Number.POSITIVE_INFINITY];
      else if (q === '+') [min, max] = [1, Number.POSITIVE_INFINITY];
      else if (q === '?') [min, max] = [0, 1];
      else if (q === '{') {
        i++;
        min = number();
        max = min;
        if (peek() === ',') {
          i++;
          max = peek() === '}' ? Number.POSITIVE_INFINITY : number();
        }
        if (peek() !== '}') return fail('unterminated {');
        if (
          min > MAX_REPEAT ||
          (max !== Number.POSITIVE_INFINITY && (max > MAX_REPEAT || max < min))
        )
          return fail('repetition bound');
        // i is at '}': the common i++ below steps over it.
      } else return node;
      i++;
      if (node.t === 'bol' || node.t === 'eol') return fail('quantified anchor');
      node = { t: 'rep', node, min, max };
      if (peek() === '?')
        i++; // lazy: the same set of whole matches
      else if (peek() === '+') return fail('possessive quantifier');
      // A quantifier directly after another ("a**") is an error in both engines; loop to catch it.
      const next = peek();
      if (next === '*' || next === '+' || next === '?' || next === '{')
        return fail('repeated quantifier');
    }
  };

  const sequence = (): Ast => {
    const items: Ast[] = [];
    while (i < source.length && peek() !== '|' && peek() !== ')') items.push(quantified());
    return { t: 'seq', items };
  };

  const alternation = (): Ast => {
    const items = [sequence()];
    while (peek() === '|') {
      i++;
      items.push(sequence());
    }
    return items.length === 1 ? items[0]! : { t: 'alt', items };
  };

  const ast = alternation();
  if (i !== source.length) fail('unexpected )');
  return ast;
}

// NFA states: a character test, a split (two epsilon edges), an anchor, or the match state.
interface State {
  kind: 'char' | 'split' | 'bol' | 'eol' | 'match';
  test?: Test;
  out: number;
  out2: number;
}

interface Fragment {
  readonly start: number;
  /** States whose `out` (or `out2` with the flag) must be patched to the next fragment. */
  readonly dangling: Array<[state: number, second: boolean]>;
}

function compile(ast: Ast): State[] {
  const states: State[] = [];
  const add = (s: State): number => {
    if (states.length >= MAX_STATES) throw new PatternError('too many states');
    states.push(s);
    return states.length - 1;
  };
  const patch = (dangling: Fragment['dangling'], to: number) => {
    for (const [s, second] of dangling) {
      if (second) states[s]!.out2 = to;
      else states[s]!.out = to;
    }
  };
  // An epsilon state, for empty sequences.
  const empty = (): Fragment => {
    const s = add({ kind: 'split', out: -1, out2: -1 });
    // A split whose second edge goes nowhere acts as one epsilon edge.
    return { start: s, dangling: [[s, false]] };
  };
  const build = (node: Ast): Fragment => {
    switch (node.t) {
      case 'set': {
        const s = add({ kind: 'char', test: caseInsensitive(node.test), out: -1, out2: -1 });
        return { start: s, dangling: [[s, false]] };
      }
      case 'bol':
      case 'eol': {
        const s = add({ kind: node.t, out: -1, out2: -1 });
        return { start: s, dangling: [[s, false]] };
      }
      case 'seq': {
        if (node.items.length === 0) return empty();
        const first = build(node.items[0]!);
        let dangling = first.dangling;
        for (const item of node.items.slice(1)) {
          const f = build(item);
          patch(dangling, f.start);
          dangling = f.dangling;
        }
        return { start: first.start, dangling };
      }
      case 'alt': {
        const branches = node.items.map(build);
        let start = branches[branches.length - 1]!.start;
        for (let k = branches.length - 2; k >= 0; k--)
          start = add({ kind: 'split', out: branches[k]!.start, out2: start });
        return { start, dangling: branches.flatMap((b) => b.dangling) };
      }
      case 'rep': {
        // Copies for the minimum, then either a loop or (max - min) optional copies.
        const parts: Fragment[] = [];
        for (let k = 0; k < node.min; k++) parts.push(build(node.node));
        if (node.max === Number.POSITIVE_INFINITY) {
          const body = build(node.node);
          const loop = add({ kind: 'split', out: body.start, out2: -1 });
          patch(body.dangling, loop);
          parts.push({ start: loop, dangling: [[loop, true]] });
        } else {
          for (let k = node.min; k < node.max; k++) {
            const body = build(node.node);
            const opt = add({ kind: 'split', out: body.start, out2: -1 });
            parts.push({ start: opt, dangling: [...body.dangling, [opt, true]] });
          }
        }
        if (parts.length === 0) return empty();
        for (let k = 1; k < parts.length; k++) patch(parts[k - 1]!.dangling, parts[k]!.start);
        return { start: parts[0]!.start, dangling: parts[parts.length - 1]!.dangling };
      }
    }
  };
  const whole = build(ast);
  const match = add({ kind: 'match', out: -1, out2: -1 });
  patch(whole.dangling, match);
  // The start state is kept first for the simulation.
  states.push({ kind: 'split', out: whole.start, out2: -1 });
  return states;
}

/** ASCII case-insensitive, as literal scopes are compared. */
function caseInsensitive(test: Test): Test {
  return (c) =>
    test(c) || (c >= 97 && c <= 122 && test(c - 32)) || (c >= 65 && c <= 90 && test(c + 32));
}

/** A compiled regexp scope: `matches(scope)` in time linear in the scope's length. */
export interface ScopeRegExp {
  matches(scope: string): boolean;
}

/**
 * Compiles a `regexp="true"` scope, or returns undefined when it is longer than
 * {@link MAX_PATTERN_LENGTH}, expands to more than {@link MAX_STATES} states, or uses syntax
 * outside the supported subset (such a scope grants nothing).
 * @internal
 */
export function compileScopeRegExp(pattern: string): ScopeRegExp | undefined {
  if (pattern.length === 0 || pattern.length > MAX_PATTERN_LENGTH) return undefined;
  let states: State[];
  try {
    states = compile(parse(pattern));
  } catch (e) {
    if (e instanceof PatternError) return undefined;
    throw e;
  }
  const start = states.length - 1;
  return {
    matches(scope: string): boolean {
      if (scope.length > MAX_SCOPE_LENGTH) return false;
      const seen = new Int32Array(states.length).fill(-1);
      let current: number[] = [];
      // Follows epsilon edges (splits, anchors that hold at `pos`) from s into `list`.
      const addState = (list: number[], s: number, pos: number, mark: number) => {
        const stack = [s];
        while (stack.length > 0) {
          const k = stack.pop()!;
          if (k < 0 || seen[k] === mark) continue;
          seen[k] = mark;
          const st = states[k]!;
          if (st.kind === 'split') stack.push(st.out2, st.out);
          else if (st.kind === 'bol') {
            if (pos === 0) stack.push(st.out);
          } else if (st.kind === 'eol') {
            if (pos === scope.length) stack.push(st.out);
          } else list.push(k);
        }
      };
      addState(current, start, 0, 0);
      for (let pos = 0; pos < scope.length && current.length > 0; pos++) {
        const c = scope.charCodeAt(pos);
        const next: number[] = [];
        for (const k of current) {
          const st = states[k]!;
          if (st.kind === 'char' && st.test!(c)) addState(next, st.out, pos + 1, pos + 1);
        }
        current = next;
      }
      return current.some((k) => states[k]!.kind === 'match');
    },
  };
}
