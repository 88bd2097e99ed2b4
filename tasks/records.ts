/**
 * Record anchoring tasks:
 *   records:anchor   --file <FHIR Bundle | resource | NDJSON> [--out <dir>]   one batch for the whole file
 *   records:verify   --file <resource.json> --salt <0x… | salts file> [--proof <proofs file | proof.json>]
 *   records:history  --record <recordId> [--indexer <url>]
 * Every task takes --from <index | address> to choose the signer.
 *
 * records:anchor writes two files beside the input (or in --out):
 *   <name>.proofs.json  each record's Merkle proof: hashes only, no content (hand each record's proof to
 *                       the holders of that record, not the whole file: see docs/records.md, "squatting");
 *   <name>.salts.json   each record's salt: THE SECRET that keeps the records private (mode 0600).
 *
 * records:anchor is resumable: the salts file is written BEFORE the batch is sent, and a run that finds a
 * salts file of the same resources for the same chain and registry reuses its salts, so it rebuilds the same
 * root. A root already anchored is not sent again ("skipped": true), and the signer's own pending
 * transactions are waited for first, so a batch is never anchored twice and its salts are never lost.
 * A salts file there that is not of these resources (another batch's, another deployment's, anything
 * else) is never overwritten: the run is refused, naming it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { task, types } from "hardhat/config";
import type { RecordBatchProgress, RecordProof } from "../sdk";
import { connectSdk, INDEXER_OPTION, idOptions, openSecret, printJson, readFileOption, readJsonObjectOption, readJsonOption } from "./support";
import { UsageError } from "../config/cli";

/** The format tag of the proofs file records:anchor writes. */
export const PROOFS_FORMAT = "careledger-record-proofs-v1";
/** The format tag of the salts file records:anchor writes. */
export const SALTS_FORMAT = "careledger-record-salts-v1";

const SALTS_WARNING =
  "These salts are the secret that keeps the records private: with a record's salt anyone holding the record can " +
  "link it to its anchor, and without it nobody can verify it (deleting a salt crypto-shreds its record). " +
  "Keep this file with the records, encrypted, never on a chain or in a public place.";

/**
 * Reads FHIR resources from a file: a Bundle (its entries' resources), a single resource, or NDJSON
 * (one resource per line).
 * @throws {UsageError} naming the file (and line) when it cannot be read or something is not a JSON object
 */
export function readResources(file: string): Record<string, unknown>[] {
  const text = readFileOption("file", file);
  let whole: unknown;
  try {
    whole = JSON.parse(text);
  } catch {
    whole = undefined;
  }
  if (whole !== undefined) {
    if (whole === null || typeof whole !== "object" || Array.isArray(whole)) throw new UsageError(`--file: ${file} is not a FHIR resource or Bundle`);
    const r = whole as { resourceType?: unknown; entry?: { resource?: unknown }[] };
    if (r.resourceType === "Bundle") {
      const out = (r.entry ?? []).map((e, i) => {
        if (e.resource === null || typeof e.resource !== "object") throw new UsageError(`--file: ${file} entry ${i} has no resource`);
        return e.resource as Record<string, unknown>;
      });
      if (out.length === 0) throw new UsageError(`--file: the Bundle in ${file} has no entries`);
      return out;
    }
    return [whole as Record<string, unknown>];
  }
  const out: Record<string, unknown>[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new UsageError(`--file: ${file} is neither JSON nor NDJSON (line ${i + 1} does not parse)`);
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) throw new UsageError(`--file: ${file} line ${i + 1} is not a resource`);
    out.push(value as Record<string, unknown>);
  });
  if (out.length === 0) throw new UsageError(`--file: ${file} holds no resources`);
  return out;
}

/** A one-line progress bar on stderr. */
function progressBar(): (p: RecordBatchProgress) => void {
  let last = "";
  return (p) => {
    const width = 30;
    const filled = p.total === 0 ? width : Math.round((p.done / p.total) * width);
    const line = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${p.phase.padEnd(6)} ${p.done}/${p.total}`;
    if (line === last) return;
    last = line;
    process.stderr.write(`\r${line}${p.phase === "nodes" && p.done === p.total ? "\n" : ""}`);
  };
}

/** Writes a JSON object whose `items` array is streamed one item per line (no proof held twice); `secret`: mode 0600 (see openSecret). */
function writeStreamed(file: string, head: Record<string, unknown>, items: Iterable<unknown>, secret = false): void {
  const fd = secret ? openSecret(file) : fs.openSync(file, "w");
  try {
    const headJson = JSON.stringify(head);
    fs.writeSync(fd, headJson.slice(0, -1) + (Object.keys(head).length ? "," : "") + '"items":[\n');
    let first = true;
    for (const item of items) {
      fs.writeSync(fd, (first ? "" : ",\n") + JSON.stringify(item));
      first = false;
    }
    fs.writeSync(fd, "\n]}\n");
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Every resource valid R4 (the SDK's validator: HL7's definitions), before a salt is drawn or anything
 * is sent: the first invalid one is refused naming its entry, type and id, and the element.
 * @throws {ValidationError} `INVALID_INPUT`, e.g. `entry[3] (Observation/abc): Observation.code: Missing required property`
 */
async function requireValidFhir(file: string, resources: readonly Record<string, unknown>[]): Promise<void> {
  const { requireFhirResource } = await import("../sdk");
  resources.forEach((r, i) => {
    const what = typeof r.resourceType === "string" ? ` (${r.resourceType}${typeof r.id === "string" ? `/${r.id}` : ""})` : "";
    requireFhirResource(`${path.basename(file)} entry[${i}]${what}`, r);
  });
}

task("records:anchor", "Anchors every resource of a FHIR Bundle or NDJSON file as one Merkle batch (provider, lab or pharmacy member)")
  .addParam("file", "a FHIR Bundle, a single resource, or NDJSON (one resource per line)")
  .addOptionalParam("out", "where to write the proofs and salts files (default: beside the input)", undefined, types.string)
  .addOptionalParam("from", "signer: an account index or address", undefined, types.string)
  .setAction(async (args: { file: string; out?: string; from?: string }, hre) => {
    const resources = readResources(args.file);
    await requireValidFhir(args.file, resources);
    const cl = await connectSdk(hre, args.from);
    const dir = args.out ?? path.dirname(args.file);
    fs.mkdirSync(dir, { recursive: true });
    const base = path.basename(args.file).replace(/\.(nd)?json$/i, "");
    const proofsFile = path.join(dir, `${base}.proofs.json`);
    const saltsFile = path.join(dir, `${base}.salts.json`);
    // Resuming: the salts of an earlier run over the same resources rebuild the same root.
    const earlier = readEarlierSalts(saltsFile, resources, cl.chainId.toString(), cl.records.address);
    const batch = cl.records.buildBatch(
      resources.map((resource, i) => (earlier ? { resource, salt: earlier[i] } : { resource })),
      { onProgress: progressBar() },
    );
    const saltItems = function* () {
      for (let i = 0; i < batch.length; i++) {
        yield { index: i, resourceType: resources[i].resourceType ?? null, id: resources[i].id ?? null, commitment: batch.commitments[i], salt: batch.salts[i] };
      }
    };
    // The salts are written before anything is sent: a batch anchored by a run that died must stay verifiable.
    if (earlier) fs.chmodSync(saltsFile, 0o600); // a file someone opened up is tightened before anything else
    else {
      writeStreamed(saltsFile, { format: SALTS_FORMAT, warning: SALTS_WARNING, chainId: cl.chainId.toString(), registry: cl.records.address, root: batch.root, leafCount: batch.length }, saltItems(), true);
    }
    const signer = cl.runner as import("ethers").Signer;
    const { waitForPendingTransactions } = await import("../sdk");
    // Batches are kept per organization: resuming asks about the signer's own.
    const ownOrg = (await cl.participants.membership(await signer.getAddress())).orgId;
    let anchored = await anchoredBatch(cl, batch.root, ownOrg);
    if (!anchored) {
      await waitForPendingTransactions(signer.provider!, await signer.getAddress(), {
        onWait: (n) => process.stderr.write(`waiting for ${n} pending transaction(s) of ${args.from ?? "the signer"} to be mined before resuming\n`),
      });
      anchored = await anchoredBatch(cl, batch.root, ownOrg);
    }
    const { root, leafCount, orgId, receipt } = anchored
      ? { ...anchored, root: batch.root }
      : await (await cl.records.anchorBatch(batch)).wait();
    const head = { chainId: cl.chainId.toString(), registry: cl.records.address, root, orgId: orgId.toString(), leafCount, tx: receipt.hash };
    writeStreamed(
      proofsFile,
      { format: PROOFS_FORMAT, ...head, leafEncoding: ["uint256", "address", "bytes32", "uint32", "bytes32"] },
      (function* () {
        for (const p of batch.proofs()) yield { index: p.index, recordId: p.recordId, version: p.version, commitment: p.commitment, proof: p.proof };
      })(),
    );
    writeStreamed(saltsFile, { format: SALTS_FORMAT, warning: SALTS_WARNING, ...head }, saltItems(), true);
    console.error(`\nWARNING: ${saltsFile}: ${SALTS_WARNING}\n`);
    printJson({ root, leafCount, orgId, tx: receipt.hash, gasUsed: receipt.gasUsed, proofsFile, saltsFile, ...(anchored ? { skipped: true } : {}) });
  });

/**
 * The salts of an earlier run, when `file` is a salts file for exactly these resources (same count,
 * resource types and ids) on this chain and registry; undefined when there is no file (a fresh batch).
 * Any other file there is refused, never overwritten: it may hold the only salts of records anchored
 * before (of another batch, chain or registry), without which they can never be verified again.
 */
function readEarlierSalts(file: string, resources: Record<string, unknown>[], chainId: string, registry: string): string[] | undefined {
  if (!fs.existsSync(file)) return undefined;
  const refuse = (why: string) =>
    new UsageError(`--out: ${file} ${why}; it is kept as it is (it may hold the only salts of records anchored before): move it away or pass --out <another folder>`);
  let json: { format?: string; root?: string; chainId?: string; registry?: string; items?: { index: number; resourceType: unknown; id: unknown; salt: string }[] };
  try {
    json = readJsonOption("out", file) as typeof json;
  } catch {
    throw refuse("exists and is not a salts file records:anchor wrote");
  }
  if (json.format !== SALTS_FORMAT) throw refuse("exists and is not a salts file records:anchor wrote");
  if (json.chainId !== chainId || json.registry?.toLowerCase() !== registry.toLowerCase()) {
    throw refuse(`holds the salts of a batch on chain ${json.chainId}, registry ${json.registry} (not this deployment's)`);
  }
  const items = json.items ?? [];
  const same = items.length === resources.length && items.every((it, i) => it.index === i && it.resourceType === (resources[i].resourceType ?? null) && it.id === (resources[i].id ?? null));
  if (!same) throw refuse(`holds the salts of another batch${json.root ? ` (root ${json.root})` : ""}, not of these resources`);
  return items.map((it) => it.salt);
}

/** Organization `orgId`'s batch `root` with the receipt of its anchoring, or undefined when it has none. */
async function anchoredBatch(cl: Awaited<ReturnType<typeof connectSdk>>, root: string, orgId: bigint) {
  if (orgId === 0n) return undefined;
  const b = await cl.records.batch(root, orgId);
  if (b.orgId === 0n) return undefined;
  const c = cl.records.contract;
  const [e] = await c.queryFilter(c.filters.BatchAnchored(root, orgId), cl.fromBlock);
  const receipt = e ? await e.getTransactionReceipt() : null;
  if (!receipt) return undefined;
  return { leafCount: b.leafCount, orgId: b.orgId, receipt };
}

/** Finds the salt of `resource` in a salts file (by resourceType and id), or takes a hex salt as is. */
function readSalt(arg: string, resource: Record<string, unknown>): string | undefined {
  if (/^0x[0-9a-fA-F]{64}$/.test(arg)) return arg;
  if (!fs.existsSync(arg)) throw new UsageError(`--salt: ${arg} is neither a 32-byte hex salt nor a salts file`);
  const file = readJsonObjectOption("salt", arg, `a ${SALTS_FORMAT} file`) as { format?: string; items?: { resourceType: unknown; id: unknown; salt: string }[] };
  if (file.format !== SALTS_FORMAT) throw new UsageError(`--salt: ${arg} is not a ${SALTS_FORMAT} file`);
  return file.items?.find((i) => i.resourceType === (resource.resourceType ?? null) && i.id === (resource.id ?? null))?.salt;
}

/** Reads a proof: a single proof object, or the item of a proofs file whose commitment matches. */
async function readProof(arg: string, commitment: string | undefined): Promise<RecordProof | undefined> {
  const json = readJsonObjectOption("proof", arg, "a proofs file or a proof");
  if (json.format !== PROOFS_FORMAT) return json as unknown as RecordProof;
  if (!Array.isArray(json.items)) throw new UsageError(`--proof: ${arg} has no items: it is not a whole ${PROOFS_FORMAT} file`);
  const items = json.items as { recordId: string; version: number; commitment: string; proof: string[] }[];
  const item = items.find((i) => i.commitment === commitment);
  if (!item) return undefined;
  const { requireId } = await import("../sdk/core/validate");
  const orgId = json.orgId === undefined ? undefined : requireId(`--proof ${arg}: orgId`, json.orgId);
  return { root: json.root as string, ...(orgId === undefined ? {} : { orgId }), ...item };
}

task("records:verify", "Verifies a resource: anchored, superseded, retracted, not anchored, a proof that contradicts the chain, or unverifiable without its salt")
  .addParam("file", "the resource (a FHIR resource JSON file)")
  .addOptionalParam("salt", "the record's salt (0x + 64 hex) or the salts file written by records:anchor", undefined, types.string)
  .addOptionalParam("proof", "the proofs file written by records:anchor, or one proof JSON (for batch-anchored records)", undefined, types.string)
  .addOptionalParam("org", "the organization that holds the record (needed only when several anchored it)", undefined, types.string)
  .addOptionalParam("from", "signer: an account index or address", undefined, types.string)
  .setAction(async (args: { file: string; salt?: string; proof?: string; org?: string; from?: string }, hre) => {
    const resource = readJsonObjectOption("file", args.file, "a FHIR resource");
    const salt = args.salt === undefined ? undefined : readSalt(args.salt, resource);
    await idOptions(args, ["org"]);
    const cl = await connectSdk(hre, args.from);
    const commitment = salt === undefined ? undefined : cl.records.commit(resource, { salt }).commitment;
    const proof = args.proof === undefined ? undefined : await readProof(args.proof, commitment);
    printJson(await cl.records.verify(resource, salt, proof, args.org === undefined ? {} : { orgId: args.org }));
  });

task("records:history", "Shows a record's versions: who anchored each, when, and which are retracted")
  .addParam("record", "the record id (the commitment of its first version)")
  .addOptionalParam("org", "the organization whose record it is (needed only when several anchored it)", undefined, types.string)
  .addOptionalParam("indexer", INDEXER_OPTION, undefined, types.string)
  .setAction(async (args: { record: string; org?: string; indexer?: string }, hre) => {
    await idOptions(args, ["org"]);
    const cl = await connectSdk(hre, undefined, { indexer: args.indexer });
    const history = await cl.records.history(args.record, args.org === undefined ? {} : { orgId: args.org });
    const { RetractionReason } = await import("../sdk");
    printJson({ recordId: args.record, versions: history.map((v) => ({ ...v, reason: RetractionReason[v.reason] })) });
  });
