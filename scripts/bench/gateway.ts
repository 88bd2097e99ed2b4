/**
 * The gateway benchmark (the third phase of `npm run bench`): what the access log's batched entry
 * point costs per disclosure. A holder's gateway anchors one root per batch of receipts; the gas of
 * one `anchorDisclosures` transaction (from its receipt) divided by the receipts under its root is
 * the gas per disclosure. Measured at 1, 64 and 1,024 receipts, each tree built with the SDK's
 * `buildReceiptTree` over realistic receipts. Then, in the same run, the gateway's throughput against
 * raw serving and its ingest rate (scripts/bench/throughput.ts). Writes `reports/gateway.json` as one
 * flat object: the gas keys, then `ingest.*` and `throughput.*`.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { accessReference, buildReceiptTree, DATA_CLASSES, OrgKind, PURPOSES, type DisclosureReceipt } from "../../sdk";
import { DisclosureLog__factory, ParticipantRegistry__factory } from "../../typechain-types";
import { deploySuite } from "../deploy";
import { measureThroughput, type ThroughputOptions } from "./throughput";

/** The receipt counts measured. */
export const GATEWAY_SIZES = [1, 64, 1024] as const;

/** The budget the issue sets: gas of one anchored root (≤ 100 gas a disclosure at 1,024 receipts). */
export const GAS_PER_ROOT_BUDGET = 75_000;

/** The report's keys: `gasPerRoot.<n>` (gas of the transaction) and `gasPerDisclosure.<n>` (that over n), for each size. */
export type GatewayReport = Record<`gasPerRoot.${(typeof GATEWAY_SIZES)[number]}` | `gasPerDisclosure.${(typeof GATEWAY_SIZES)[number]}`, number>;

const hex = (bytes: number): string => "0x" + randomBytes(bytes).toString("hex");

/**
 * `n` disclosure receipts of organization `holderOrgId`, as a gateway writes them: a signed request's
 * digest, a requester, a patient, an access reference made from a record's salt and id, labs for
 * treatment, checked at block `atBlock`.
 */
export function benchReceipts(n: number, holderOrgId: bigint, atBlock: bigint): DisclosureReceipt[] {
  return Array.from({ length: n }, () => ({
    requestDigest: hex(32),
    requester: hex(20),
    holderOrgId,
    patient: hex(20),
    accessRef: accessReference({ salt: hex(32), recordId: hex(32) }).recordRef,
    dataClass: DATA_CLASSES.labs,
    purpose: PURPOSES.TREAT,
    permittedAtBlock: atBlock,
  }));
}

/**
 * Deploys the suite on `hre`'s in-process network, onboards a hospital whose admin is the gateway's
 * account, anchors one root per size and returns the report (gas from receipts, never estimates).
 */
export async function measureGateway(hre: HardhatRuntimeEnvironment): Promise<GatewayReport> {
  const [, registrar, pauser, gateway] = await hre.ethers.getSigners();
  const { book } = await deploySuite(hre, { addressBookDir: null, registrar: registrar.address, pauser: pauser.address, log: () => undefined });
  const registry = ParticipantRegistry__factory.connect(book.contracts.ParticipantRegistry, registrar);
  await (await registry.registerOrganization(OrgKind.Provider, "0x" + "61".repeat(32), gateway.address)).wait();
  const orgId = await registry.organizationCount();
  const log = DisclosureLog__factory.connect(book.contracts.DisclosureLog, gateway);
  const report: Record<string, number> = {};
  for (const n of GATEWAY_SIZES) {
    const atBlock = BigInt(await hre.ethers.provider.getBlockNumber());
    const tree = buildReceiptTree(benchReceipts(n, orgId, atBlock));
    const receipt = await (await log.anchorDisclosures(tree.root, tree.count)).wait();
    if (!receipt) throw new Error("transaction dropped");
    report[`gasPerRoot.${n}`] = Number(receipt.gasUsed);
  }
  for (const n of GATEWAY_SIZES) report[`gasPerDisclosure.${n}`] = Math.round((report[`gasPerRoot.${n}`] / n) * 100) / 100;
  return report as GatewayReport;
}

/** Whether a key of `reports/gateway.json` is a gas figure (the rest are throughput and ingest). */
export function isGasKey(key: string): boolean {
  return key.startsWith("gasPerRoot.") || key.startsWith("gasPerDisclosure.");
}

/** Measures gas per disclosure, then throughput and ingest, and writes `reports/gateway.json` under `root`. */
export async function runGatewayBench(
  hre: HardhatRuntimeEnvironment,
  log: (line: string) => void = console.log,
  throughput: ThroughputOptions = {},
): Promise<GatewayReport & Record<string, number | string>> {
  const gas = await measureGateway(hre);
  for (const n of GATEWAY_SIZES) {
    log(`${n.toLocaleString("en-US").padStart(5)} receipt${n === 1 ? " " : "s"} a root: ${gas[`gasPerRoot.${n}`].toLocaleString("en-US")} gas a root, ${gas[`gasPerDisclosure.${n}`]} gas a disclosure`);
  }
  log(`budget: ${GAS_PER_ROOT_BUDGET.toLocaleString("en-US")} gas a root (≤ 100 gas a disclosure at 1,024 receipts)`);
  log("\nGateway throughput (autocannon, enforced vs raw) and ingest:");
  const report = { ...gas, ...(await measureThroughput(hre, { log, ...throughput })) };
  const out = path.join(hre.config.paths.root, "reports", "gateway.json");
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(report, null, 2) + "\n");
  log(`Wrote ${path.relative(process.cwd(), out)}`);
  return report;
}
