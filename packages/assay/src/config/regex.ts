/**
 * Regular expressions from config and from requests, compiled by a linear-time engine (re2js, a
 * pure-JS port of RE2): matching takes time proportional to the input, so no pattern can stall the
 * event loop. RE2 syntax has no lookaround and no backreferences; a pattern using them, or one that
 * is not valid, is refused with the reason. `\uXXXX` and `\u{X}` escapes are read as JavaScript
 * reads them. Patterns written in our own source stay native RegExp.
 */
import { RE2JS, RE2JSSyntaxException } from 're2js';
import { z } from 'zod';

/** A compiled linear-time pattern with the parts of RegExp the codebase uses. */
export interface LinearRegex {
  readonly source: string;
  readonly flags: string;
  exec(input: string): RegExpExecArray | null;
  test(input: string): boolean;
  /** Every match replaced by what `replacer` returns for it. */
  replaceAll(input: string, replacer: (match: string) => string): string;
}

export class RegexError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegexError';
  }
}

const WHY = 'patterns run in linear time (RE2 syntax)';

/** Flags that change matching; u and v are how RE2 always reads text, g and d change nothing here. */
const FLAG_BITS: Record<string, number> = { i: RE2JS.CASE_INSENSITIVE, m: RE2JS.MULTILINE, s: RE2JS.DOTALL, u: 0, v: 0, g: 0, d: 0 };

function flagBits(flags: string): number {
  let bits = 0;
  for (const f of flags) {
    if (f === 'y') throw new RegexError(`the y (sticky) flag is not supported: ${WHY}`);
    if (!(f in FLAG_BITS)) throw new RegexError(`unknown flag "${f}"; flags may be i, m, s, u (and g where the pattern replaces)`);
    bits |= FLAG_BITS[f];
  }
  return bits;
}

/** JavaScript's \uXXXX and \u{X} escapes as RE2's \x{X}; every other escape is left as written. */
function fromJsEscapes(source: string): string {
  return source.replace(/\\(\\|u\{([0-9A-Fa-f]{1,6})\}|u([0-9A-Fa-f]{4}))/g, (all, _e, braced: string | undefined, four: string | undefined) =>
    braced ?? four ? `\\x{${braced ?? four}}` : all,
  );
}

/** Why RE2 refused a pattern, in words a user can act on. */
function explain(err: RE2JSSyntaxException, source: string): string {
  if (/\(\?<[=!]/.test(source)) return `lookbehind ((?<= or (?<!) is not supported: ${WHY}`;
  if (/\(\?[=!]/.test(source)) return `lookahead ((?= or (?!) is not supported: ${WHY}`;
  if (/invalid escape sequence: `\\([1-9]|k)/.test(err.message)) return `backreferences (\\1, \\k<name>) are not supported: ${WHY}`;
  return `is not a valid regular expression: ${err.getDescription()}${err.getPattern() ? ` at \`${err.getPattern()}\`` : ''}; ${WHY}`;
}

/** Compiles a client- or config-supplied pattern; throws RegexError saying why when it cannot. */
export function compileRegex(source: string, flags = ''): LinearRegex {
  const bits = flagBits(flags);
  let re: RE2JS;
  try {
    re = RE2JS.compile(fromJsEscapes(source), bits);
  } catch (err) {
    if (err instanceof RE2JSSyntaxException) throw new RegexError(explain(err, source));
    throw new RegexError(`is not a valid regular expression: ${(err as Error).message}; ${WHY}`);
  }
  return {
    source,
    flags,
    exec: (input) => re.exec(input) as RegExpExecArray | null,
    test: (input) => re.test(input),
    replaceAll: (input, replacer) => re.matcher(input).replaceAll((m: string) => replacer(m)),
  };
}

/** Null when the pattern compiles, else why not. */
export function regexProblem(source: string, flags = ''): string | null {
  try {
    compileRegex(source, flags);
    return null;
  } catch (err) {
    if (err instanceof RegexError) return err.message;
    throw err;
  }
}

/** A zod string that must compile as a linear-time regular expression (config and API inputs). */
export function regexSource(what: string) {
  return z
    .string()
    .min(1)
    .superRefine((p, ctx) => {
      const problem = regexProblem(p);
      if (problem) ctx.addIssue({ code: 'custom', message: problem.startsWith('is ') ? `${what} ${problem}` : `${what}: ${problem}` });
    });
}

/**
 * A JSON Schema `pattern` engine for ajv (`code: {regExp}`): schemas from requests match in linear
 * time. ajv caches compiled patterns by toString(), so each one names its own source.
 */
export const linearRegExpEngine = Object.assign(
  (pattern: string, flags: string): { test(s: string): boolean; toString(): string } => {
    try {
      const re = compileRegex(pattern, flags);
      return { test: (s) => re.test(s), toString: () => `/${pattern}/${flags}` };
    } catch (err) {
      throw err instanceof RegexError ? new Error(`Invalid regular expression /${pattern}/: ${err.message}`) : err;
    }
  },
  { code: 'linearRegExpEngine' },
);
