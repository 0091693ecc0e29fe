/** The batch validator accepts exactly what JSON.parse accepts, and finds each element of an array. */
import { describe, expect, it } from "@jest/globals";
import { isJson } from "../../../../node/rpc/server/jsonScan.js";

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  "0",
  "-0",
  "1.5",
  "-12e+3",
  "1E-2",
  "0.0",
  "true",
  "false",
  "null",
  '""',
  '"a"',
  '"\\u00e9\\n\\"\\\\\\/"',
  '"\\ud800"',
  '"é"',
  "[]",
  "{}",
  "[1,2]",
  '{"a":1}',
  '{"id":123456789012345678901234567890}',
];
const JUNK = [
  "",
  " ",
  "\n",
  ",",
  ":",
  "[",
  "]",
  "{",
  "}",
  '"',
  "\\",
  "\\u12",
  "01",
  "-",
  ".5",
  "1.",
  "1e",
  "+1",
  "tru",
  "nul",
  "\u0001",
  "\t",
  "x",
  "'",
  "NaN",
  "Infinity",
  "\\x41",
  "\u2028",
];

function randomJson(r: () => number, depth: number): string {
  const k = r();
  if (depth > 3 || k < 0.4) return PIECES[Math.floor(r() * PIECES.length)];
  const n = Math.floor(r() * 4);
  const ws = () => [" ", "", "\n", "\t ", "\r\n"][Math.floor(r() * 5)];
  if (k < 0.7)
    return `[${ws()}${Array.from({ length: n }, () => randomJson(r, depth + 1)).join(`${ws()},${ws()}`)}${ws()}]`;
  return `{${ws()}${Array.from({ length: n }, (_, i) => `"k${i}"${ws()}:${ws()}${randomJson(r, depth + 1)}`).join(",")}${ws()}}`;
}

function mutate(r: () => number, text: string): string {
  const at = Math.floor(r() * (text.length + 1));
  const junk = JUNK[Math.floor(r() * JUNK.length)];
  switch (Math.floor(r() * 3)) {
    case 0:
      return text.slice(0, at) + junk + text.slice(at);
    case 1:
      return text.slice(0, at) + text.slice(at + 1);
    default:
      return text.slice(0, at) + junk + text.slice(at + 1);
  }
}

describe("isJson", () => {
  it("agrees with JSON.parse on hand-picked cases", () => {
    const cases = [
      ...PIECES,
      ...JUNK,
      "[1,]",
      "[,1]",
      '{"a":}',
      '{"a" 1}',
      '{"a":1,}',
      "{1:1}",
      "[1 2]",
      "[[[]]]",
      " [ ] ",
      "[]x",
      "1 2",
      '"\\u00G0"',
      '"a\nb"',
      '"\\a"',
      "-01",
      "1.e5",
      "[-]",
      '{"a":{"b":[1,{"c":null}]}}',
      "\ufeff[]",
    ];
    for (const text of cases) expect([text, isJson(text)]).toEqual([text, parses(text)]);
  });

  it("agrees with JSON.parse on 20,000 random and mutated texts", () => {
    const r = rng(13);
    for (let n = 0; n < 20_000; n++) {
      let text = randomJson(r, 0);
      const mutations = Math.floor(r() * 3);
      for (let m = 0; m < mutations; m++) text = mutate(r, text);
      if (isJson(text) !== parses(text)) throw new Error(`disagrees on ${JSON.stringify(text)}`);
    }
  });

  it("finds the elements of an array, each parsing as JSON.parse does", () => {
    const r = rng(7);
    for (let n = 0; n < 2_000; n++) {
      const text = `[${Array.from({ length: Math.floor(r() * 5) }, () => ` ${randomJson(r, 0)} `).join(",")}]`;
      const spans: number[] = [];
      expect(isJson(text, spans)).toBe(true);
      const elements = [];
      for (let i = 0; i < spans.length; i += 2) elements.push(JSON.parse(text.slice(spans[i], spans[i + 1])));
      expect(elements).toEqual(JSON.parse(text));
    }
    const spans: number[] = [];
    expect(isJson('  [ {"id":1} , "x",[2] ]  ', spans)).toBe(true);
    expect(spans).toEqual([4, 12, 15, 18, 19, 22]);
    expect(isJson('{"a":[1]}', spans)).toBe(true);
    expect(spans).toHaveLength(6); // not an array: nothing added
  });
});
