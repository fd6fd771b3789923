/**
 * JavaScript evaluated inside each fresh QuickJS context before the user's code (engine.ts).
 * It is a function expression; the engine calls it with the host's `emit` function, the input JSON
 * and the log budget. It installs `console` and `input`, and returns `{serialize, describe}` for the
 * engine to keep. The intrinsics it uses are captured here, before user code can replace them, so a
 * script that overwrites `JSON.stringify` or `String.prototype.slice` only changes its own output;
 * the engine still validates everything it reads (lengths, shapes), so tampering cannot reach the host.
 */
export const PRELUDE = String.raw`(function (emit, inputJson, logBudget) {
  'use strict';
  const G = globalThis;
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const toStr = String;
  const uncurry = (f) => Function.prototype.call.bind(f);
  const slice = uncurry(String.prototype.slice);
  const isPrototypeOf = uncurry(Object.prototype.isPrototypeOf);
  const ErrorProto = Error.prototype;
  const WeakSet_ = WeakSet;
  const weakHas = uncurry(WeakSet.prototype.has);
  const weakAdd = uncurry(WeakSet.prototype.add);
  const defineProperty = Object.defineProperty;

  const clip = (s, n) => (s.length > n ? slice(s, 0, n) + '…' : s);
  const isError = (v) => v !== null && typeof v === 'object' && isPrototypeOf(ErrorProto, v);

  function show(key, v) {
    switch (typeof v) {
      case 'function': return '[Function' + (v.name ? ': ' + toStr(v.name) : ' (anonymous)') + ']';
      case 'symbol': return toStr(v);
      case 'bigint': return toStr(v) + 'n';
      case 'undefined': return key === '' ? 'undefined' : v;
      default: return isError(v) ? toStr(v.name) + ': ' + toStr(v.message) : v;
    }
  }

  /** console formatting: strings as they are, everything else as JSON-ish text; never throws. */
  function format(v) {
    try {
      if (typeof v === 'string') return v;
      if (typeof v !== 'object' || v === null || isError(v)) return toStr(show('', v));
      try {
        return stringify(v, show);
      } catch (cycle) {
        const seen = new WeakSet_();
        return stringify(v, function (key, x) {
          if (x !== null && typeof x === 'object') {
            if (weakHas(seen, x)) return '[Circular]';
            weakAdd(seen, x);
          }
          return show(key, x);
        });
      }
    } catch (e) {
      return '[unprintable value]';
    }
  }

  let remaining = logBudget;
  let toldFull = false;
  const logger = (level) => function () {
    if (remaining <= 0) {
      if (!toldFull) { toldFull = true; remaining = emit(level, ''); } // lets the host mark the cut
      return;
    }
    let text = '';
    for (let i = 0; i < arguments.length; i++) {
      text += (i ? ' ' : '') + format(arguments[i]);
      if (text.length > remaining) break;
    }
    remaining = emit(level, text.length > remaining ? slice(text, 0, remaining + 1) : text);
  };
  const console = {
    log: logger('log'), info: logger('info'), warn: logger('warn'),
    error: logger('error'), debug: logger('debug'),
  };
  defineProperty(G, 'console', { value: console, writable: true, configurable: true, enumerable: false });
  defineProperty(G, 'input', {
    value: inputJson === undefined ? undefined : parse(inputJson),
    writable: true, configurable: true, enumerable: false,
  });

  /** The result as JSON text (undefined stays undefined); throws a TypeError naming what is not JSON. */
  function serialize(v) {
    if (v === undefined) return undefined;
    return stringify(v, function (key, x) {
      const t = typeof x;
      if (t === 'function' || t === 'symbol' || t === 'bigint') {
        throw new TypeError((key === '' ? 'the returned value' : 'property ' + stringify(key)) +
          ' is a ' + t + ', which JSON cannot represent');
      }
      return x;
    });
  }

  /** A thrown value as JSON {name, message, stack?, nonError?}, bounded in size. */
  function describe(e) {
    try {
      if (isError(e)) {
        const stack = e.stack;
        return stringify({
          name: clip(toStr(e.name), 200),
          message: clip(toStr(e.message), 4000),
          stack: typeof stack === 'string' ? clip(stack, 4000) : undefined,
          lineNumber: typeof e.lineNumber === 'number' ? e.lineNumber : undefined,
          columnNumber: typeof e.columnNumber === 'number' ? e.columnNumber : undefined,
        });
      }
      return stringify({ name: 'Error', message: 'the code threw a non-Error value: ' + clip(format(e), 1000), nonError: true });
    } catch (x) {
      return stringify({ name: 'Error', message: 'the code threw a value that cannot be described' });
    }
  }

  return { serialize, describe };
})`;
