/**
 * A JSON validator that builds nothing, for batches: the whole message is checked (a batch that is not
 * JSON must be answered -32700 before any of its calls runs), and where each element lies is noted, so
 * that each call is parsed only when it is about to run. A batch stopped at the response size limit
 * after 141 of its 1,000 calls never turns the other 859 into objects: under a flood of such batches
 * that is most of the garbage, and of the collector's pauses, gone.
 *
 * It accepts exactly RFC 8259 JSON, as `JSON.parse` does (lone surrogates included); the long runs of
 * string content and numbers are matched by sticky regular expressions, not character by character.
 */

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;

/** A run of string content: anything but a quote, a backslash or a control character (JSON forbids them raw). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching up to a raw control character is the point
const STRING_RUN = /[^"\\\u0000-\u001f]*/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const HEX4 = /[0-9a-fA-F]{4}/y;

function skipWs(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}

/** The index after the string that starts at `i` (a quote); -1 when it is not a valid JSON string. */
function scanString(text: string, i: number): number {
  i++;
  for (;;) {
    STRING_RUN.lastIndex = i;
    STRING_RUN.test(text);
    i = STRING_RUN.lastIndex;
    const c = text.charCodeAt(i);
    if (c === QUOTE) return i + 1;
    if (c !== BACKSLASH) return -1; // a control character, or the end of the text
    const e = text.charCodeAt(i + 1);
    if (e === 0x75) {
      HEX4.lastIndex = i + 2;
      if (!HEX4.test(text)) return -1;
      i += 6;
    } else if (
      e === QUOTE ||
      e === BACKSLASH ||
      e === 0x2f || // /
      e === 0x62 || // b
      e === 0x66 || // f
      e === 0x6e || // n
      e === 0x72 || // r
      e === 0x74 // t
    ) {
      i += 2;
    } else {
      return -1;
    }
  }
}

/** The index after the number, true, false or null at `i`; -1 when there is none. */
function scanScalar(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === 0x74) return text.startsWith("true", i) ? i + 4 : -1;
  if (c === 0x66) return text.startsWith("false", i) ? i + 5 : -1;
  if (c === 0x6e) return text.startsWith("null", i) ? i + 4 : -1;
  NUMBER.lastIndex = i;
  return NUMBER.test(text) ? NUMBER.lastIndex : -1;
}

/**
 * Whether `text` is one JSON value (with surrounding whitespace). When it is an array and `elements`
 * is given, the start and end index of each of its elements are pushed to it, in pairs.
 */
export function isJson(text: string, elements?: number[]): boolean {
  /** Open containers, innermost last: true for an object. */
  const stack: boolean[] = [];
  let i = skipWs(text, 0);
  const topArray = text.charCodeAt(i) === OPEN_BRACKET && elements !== undefined;
  let elementStart = 0;
  for (;;) {
    // A value starts at i.
    if (topArray && stack.length === 1) elementStart = i;
    const c = text.charCodeAt(i);
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      const object = c === OPEN_BRACE;
      stack.push(object);
      i = skipWs(text, i + 1);
      if (text.charCodeAt(i) === (object ? CLOSE_BRACE : CLOSE_BRACKET)) {
        stack.pop();
        i++;
      } else {
        if (object) {
          i = member(text, i);
          if (i < 0) return false;
        }
        continue;
      }
    } else {
      i = c === QUOTE ? scanString(text, i) : scanScalar(text, i);
      if (i < 0) return false;
    }
    // A value ended at i: close what it completes, up to the next value.
    for (;;) {
      if (stack.length === 0) return skipWs(text, i) === text.length;
      if (topArray && stack.length === 1) elements.push(elementStart, i);
      i = skipWs(text, i);
      const d = text.charCodeAt(i);
      const object = stack[stack.length - 1];
      if (d === COMMA) {
        i = skipWs(text, i + 1);
        if (object) {
          i = member(text, i);
          if (i < 0) return false;
        }
        break;
      }
      if (d !== (object ? CLOSE_BRACE : CLOSE_BRACKET)) return false;
      stack.pop();
      i++;
    }
  }
}

/** A member's key and colon at `i`: the index of its value, or -1. */
function member(text: string, i: number): number {
  if (text.charCodeAt(i) !== QUOTE) return -1;
  i = scanString(text, i);
  if (i < 0) return -1;
  i = skipWs(text, i);
  if (text.charCodeAt(i) !== COLON) return -1;
  return skipWs(text, i + 1);
}

/** Whether the first non-whitespace character of `text` opens an array. */
export function startsArray(text: string): boolean {
  return text.charCodeAt(skipWs(text, 0)) === OPEN_BRACKET;
}
