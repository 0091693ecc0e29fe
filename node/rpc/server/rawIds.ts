/**
 * The request ids of a JSON-RPC message as they were written, to echo them byte for byte:
 * `123456789012345678901234567890` must come back as sent, not as the double `1.2345678901234568e+29`
 * that `JSON.parse` makes of it (nor `1.0` as `1`, nor `"\u0041"` as `"A"`).
 *
 * The message has already been parsed by `JSON.parse`, so it is valid JSON and the scanner only walks
 * its structure: the members of the request object (or of each object of a batch), skipping values.
 * Strings are skipped with `indexOf`, so the cost follows the number of tokens, not the bytes of hex.
 */

/** Reads the raw id of each element of a batch in turn. */
export interface IdCursor {
  /** The raw id of the next element; undefined when it is not an object, has no id, or there is none. */
  next(): string | undefined;
}

/**
 * The scanner, written as one self-contained function (no reference outside its body) so that the
 * parse worker (`parseWorker.ts`) can run the very same code from its source text.
 */
export function makeIdScanner() {
  const OPEN_BRACE = 0x7b;
  const CLOSE_BRACE = 0x7d;
  const OPEN_BRACKET = 0x5b;
  const CLOSE_BRACKET = 0x5d;
  const QUOTE = 0x22;
  const BACKSLASH = 0x5c;
  const COMMA = 0x2c;

  function skipWs(text: string, i: number): number {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
      i++;
    }
  }

  /** The index after the string that starts at `i` (a `"`). */
  function skipString(text: string, i: number): number {
    let j = text.indexOf('"', i + 1);
    for (;;) {
      // An escaped quote is preceded by an odd number of backslashes.
      let k = j - 1;
      while (text.charCodeAt(k) === BACKSLASH) k--;
      if ((j - 1 - k) % 2 === 0) return j + 1;
      j = text.indexOf('"', j + 1);
    }
  }

  /** The index after the value that starts at `i`. */
  function skipValue(text: string, i: number): number {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return skipString(text, i);
    if (c !== OPEN_BRACE && c !== OPEN_BRACKET) {
      // A number, true, false or null: up to the next delimiter.
      while (i < text.length) {
        const d = text.charCodeAt(i);
        if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || d <= 0x20) break;
        i++;
      }
      return i;
    }
    let depth = 0;
    for (;;) {
      const d = text.charCodeAt(i);
      if (d === QUOTE) {
        i = skipString(text, i);
        continue;
      }
      if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
      else if ((d === CLOSE_BRACE || d === CLOSE_BRACKET) && --depth === 0) return i + 1;
      i++;
    }
  }

  /** Whether the key string `text[start, end)` (quotes included) is `"id"`, however it is escaped. */
  function isIdKey(text: string, start: number, end: number): boolean {
    if (end - start === 4) return text.startsWith('"id"', start);
    const key = text.slice(start, end);
    return key.includes("\\") && JSON.parse(key) === "id";
  }

  /** The members of the object at `i` (`{`): the raw text of its last `id` value, and where it ends. */
  function objectId(text: string, i: number): { id: string | undefined; end: number } {
    let id: string | undefined;
    i = skipWs(text, i + 1);
    if (text.charCodeAt(i) === CLOSE_BRACE) return { id, end: i + 1 };
    for (;;) {
      const keyStart = i;
      i = skipString(text, i);
      const isId = isIdKey(text, keyStart, i);
      i = skipWs(text, i);
      i = skipWs(text, i + 1); // the colon
      const valueStart = i;
      i = skipValue(text, i);
      if (isId) id = text.slice(valueStart, i);
      i = skipWs(text, i);
      if (text.charCodeAt(i) !== COMMA) return { id, end: i + 1 };
      i = skipWs(text, i + 1);
    }
  }

  /** A cursor over the elements of the batch `text` (an array). */
  function batchIds(text: string): IdCursor & { readonly done: boolean } {
    let i = skipWs(text, skipWs(text, 0) + 1);
    let done = text.charCodeAt(i) === CLOSE_BRACKET;
    return {
      get done() {
        return done;
      },
      next() {
        if (done) return undefined;
        let id: string | undefined;
        if (text.charCodeAt(i) === OPEN_BRACE) {
          const found = objectId(text, i);
          id = found.id;
          i = found.end;
        } else {
          i = skipValue(text, i);
        }
        i = skipWs(text, i);
        if (text.charCodeAt(i) === COMMA) i = skipWs(text, i + 1);
        else done = true;
        return id;
      },
    };
  }

  function rawRequestIds(text: string): string | undefined | (string | undefined)[] {
    const i = skipWs(text, 0);
    const c = text.charCodeAt(i);
    if (c === OPEN_BRACE) return objectId(text, i).id;
    if (c !== OPEN_BRACKET) return undefined;
    const cursor = batchIds(text);
    const ids: (string | undefined)[] = [];
    while (!cursor.done) ids.push(cursor.next());
    return ids;
  }

  return { rawRequestIds, batchIds };
}

const scanner = makeIdScanner();

/**
 * For a message that `JSON.parse` accepted: the raw text of the `id` member of the request object (a
 * string), or of each element of a batch (an array, `undefined` where an element is not an object or
 * has no id). `undefined` when the message is neither an object nor an array. The last `id` wins, as in
 * `JSON.parse`.
 */
export const rawRequestIds: (text: string) => string | undefined | (string | undefined)[] = scanner.rawRequestIds;

/**
 * The raw ids of a batch (a message that `JSON.parse` accepted as an array), element by element as the
 * batch is run: `next()` scans only as far as the next element, so the ids of calls a batch never
 * runs (it stopped at the response size limit) are never looked for.
 */
export const batchIds: (text: string) => IdCursor = scanner.batchIds;

/** A cursor over ids already found (by the parse worker). */
export function idsCursor(ids: (string | undefined)[]): IdCursor {
  let i = 0;
  return { next: () => ids[i++] };
}
