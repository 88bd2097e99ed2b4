/**
 * One Merkle build in its own process: `node -r ts-node/register/transpile-only merkle-child.ts <n>`.
 * Generates `n` record leaves, builds the tree, and prints `{ buildSeconds, peakRssMB, root }`;
 * the peak RSS is the whole process's maximum resident set (leaves, tree and runtime included).
 */
import { FastMerkleTree } from "../../sdk/records/merkle";
import { RECORD_LEAF_ENCODING } from "../../sdk/records/encoding";
import { randomRecordLeaves } from "./merkle";

const n = Number(process.argv[2] ?? 1 << 20);
const values = randomRecordLeaves(n);
const start = process.hrtime.bigint();
const tree = FastMerkleTree.of(values, RECORD_LEAF_ENCODING);
const buildSeconds = Number(process.hrtime.bigint() - start) / 1e9;
const peakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
console.log(JSON.stringify({ buildSeconds, peakRssMB, root: tree.root, leaves: tree.length }));
