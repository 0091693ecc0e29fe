#!/usr/bin/env node
// The compiled CLI lives in dist/ (built by `npm install` through the `prepare` script).
//
// Node.js 22 or later is required (libp2p needs it). The project brings its own: the `node` package in
// `dependencies` puts Node 22 first on the PATH of npm scripts and of `npx tensorchain`. package.json
// has no `engines.node`, so that npm does not warn (EBADENGINE) about the machine's own older Node;
// the check is here instead, before anything that needs Node 22 is loaded.
const [major] = process.versions.node.split(".").map(Number);
if (major < 22) {
  process.stderr.write(
    `tensorchain needs Node.js 22 or later; this is Node.js ${process.versions.node} (${process.execPath}).\n` +
      "Run it through npm, which puts the project's own Node 22 first on the PATH: `npx tensorchain ...` or\n" +
      "`npm start -- ...` in the repository, or run `node_modules/.bin/node bin/tensorchain.js ...`.\n",
  );
  process.exit(1);
}
await import("../dist/cli/main.js");
