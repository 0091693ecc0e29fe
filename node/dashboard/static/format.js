// DOM and number helpers. Everything from the node is put in the page as text, never as HTML.

/** An element: `h("td", { class: "num", title: "…" }, "text", child, …)`; null/undefined children are skipped. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Replaces the children of the element with id `id`. */
export function fill(id, ...children) {
  const el = document.getElementById(id);
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined));
  return el;
}

export function shortHash(hex) {
  return hex ? `${hex.slice(0, 8)}…${hex.slice(-6)}` : "";
}

export function shortAddress(address) {
  return address ? `${address.slice(0, 6)}…${address.slice(-4)}` : "—";
}

/** An address as a short label with the full one in its title. */
export function addressEl(address) {
  return h("span", { class: "address", title: address }, shortAddress(address));
}

/** An amount in planck (a decimal string) as tokens with at most `digits` decimals. */
export function amount(planck, decimals, symbol, digits = 4) {
  if (planck === undefined || planck === null) return "—";
  const v = BigInt(planck);
  const unit = 10n ** BigInt(decimals);
  const whole = v / unit;
  const frac = (v % unit).toString().padStart(decimals, "0").slice(0, digits).replace(/0+$/, "");
  return `${whole.toLocaleString("en-US")}${frac ? `.${frac}` : ""} ${symbol}`;
}

export function percentPpm(ppm) {
  return ppm === null || ppm === undefined ? "—" : `${(ppm / 10_000).toFixed(2)} %`;
}

export function mib(n) {
  return n >= 1024 ? `${(n / 1024).toFixed(n % 1024 === 0 ? 0 : 1)} GiB` : `${n} MiB`;
}

export function lossText(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return "—";
  return x >= 100 ? x.toFixed(1) : x.toPrecision(4);
}

export function ago(ms) {
  if (ms < 1000) return "just now";
  const s = ms / 1000;
  return s < 60 ? `${s.toFixed(1)} s ago` : `${Math.floor(s / 60)} min ago`;
}

/** A colour per index, readable on white. */
const PALETTE = ["#2f6fde", "#e0662b", "#2a9d6b", "#a54fd1", "#d13f6a", "#7d8b16", "#1b9bb5", "#b7791f"];
export function colour(i) {
  return PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length];
}
