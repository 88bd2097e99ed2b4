#!/usr/bin/env node
// After `tsc -p tsconfig.build.json` has written dist/ (CommonJS + .d.ts), adds what a consumer needs:
// an ES module entry re-exporting the CommonJS build, and the address books next to the SDK.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const dist = path.join(root, "dist");

fs.mkdirSync(path.join(dist, "esm"), { recursive: true });
fs.writeFileSync(path.join(dist, "esm", "index.mjs"), 'export * from "../sdk/index.js";\n');

const books = path.join(root, "deployments");
const target = path.join(dist, "deployments");
fs.mkdirSync(target, { recursive: true });
for (const file of fs.existsSync(books) ? fs.readdirSync(books) : []) {
  if (/^\d+\.json$/.test(file) && file !== "31337.json") fs.copyFileSync(path.join(books, file), path.join(target, file));
}
console.log(`Built the SDK into ${path.relative(process.cwd(), dist)}/ (CommonJS: sdk/index.js, ES module: esm/index.mjs)`);
