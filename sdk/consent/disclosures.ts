/**
 * The `disclosures` client: the access log's batched entry point (the DisclosureLog contract). A
 * record holder's gateway anchors the Merkle root of its disclosure receipts; a patient, or anyone a
 * patient shows a receipt to, checks that the receipt is under a root its holder anchored. Anchors are
 * kept per organization: another organization anchoring the same root neither blocks the holder nor
 * counts as the holder's anchor.
 *
 * ```ts
 * const tree = buildReceiptTree(receipts);                              // sdk/exchange/receipts.ts
 * const { orgId } = await (await careledger.disclosures.anchor({ root: tree.root, count: tree.count })).wait();
 * await anyone.disclosures.verifyReceipt({ receipt: receipts[3], proof: tree.proofs[3], root: tree.root });
 * // { verified: true, anchored: true, orgMatches: true, included: true, anchoredAt, blockNumber }
 * ```
 */
import type { Overrides } from "ethers";
import type { DisclosureLog } from "../../typechain-types/contracts/consent/DisclosureLog";
import { ValidationError } from "../errors";
import { ManagedClient, requireSigner } from "../core/client";
import { eventIn, type TxHandle } from "../core/tx";
import { requireBytes32, requireId } from "../core/validate";
import { MAX_RECEIPTS_PER_ROOT, receiptValues, verifyReceiptProof, type DisclosureReceipt } from "../exchange/receipts";

/** What {@link DisclosuresClient.anchor} takes: a root over receipts and how many there are. */
export interface AnchorDisclosuresParams {
  /** The Merkle root over the receipts (`buildReceiptTree(receipts).root`). */
  readonly root: string;
  /** The number of receipts under it, 1 to {@link MAX_RECEIPTS_PER_ROOT}. */
  readonly count: number;
}

/** An organization's anchor of a root of disclosure receipts. */
export interface DisclosureAnchor {
  /** The organization that anchored it (the holder of the records): the one asked about. */
  readonly orgId: bigint;
  /** The number of receipts under it, as that organization stated it. */
  readonly count: number;
  /** When it was anchored (unix seconds). */
  readonly anchoredAt: number;
  /** The block it was anchored in. */
  readonly blockNumber: bigint;
}

/** What {@link DisclosuresClient.verifyReceipt} takes: a receipt, its proof and the root it is under. */
export interface VerifyReceiptParams {
  readonly receipt: DisclosureReceipt;
  readonly proof: readonly string[];
  readonly root: string;
}

/**
 * What {@link DisclosuresClient.verifyReceipt} found. The anchor looked up is the receipt's holder's
 * (`holderOrgId`), since anchors are kept per organization, so `anchored` and `orgMatches` are one
 * answer, kept as two fields for the result's shape: a root only another organization anchored gives
 * both false.
 */
export interface ReceiptVerification {
  /** All three below: the receipt is under a root its holder anchored. */
  readonly verified: boolean;
  /** The receipt's holder (`holderOrgId`) anchored the root; another organization's anchor of it does not count. */
  readonly anchored: boolean;
  /** The same as `anchored`: the root was anchored by the receipt's holder (`holderOrgId`). */
  readonly orgMatches: boolean;
  /** The proof leads from the receipt's leaf to the root. */
  readonly included: boolean;
  /** When the holder anchored the root (unix seconds), when it did. */
  readonly anchoredAt?: number;
  /** The block the holder anchored the root in, when it did. */
  readonly blockNumber?: bigint;
}

/** The typed client of the DisclosureLog contract. */
export class DisclosuresClient extends ManagedClient<DisclosureLog> {
  /**
   * Anchors a root of disclosure receipts for the caller's organization. Caller: an active member of
   * a provider, lab or pharmacy (the gateway's account). The gas does not depend on the count. Refused
   * only when the caller's organization anchored the root already (`RootAlreadyAnchored`): another
   * organization's anchor of the same root is its own, and stands in nobody's way.
   * @returns a handle whose `wait()` gives the root, the count, the organization and the account that anchored it
   * @throws {ValidationError} `root` (not 32 bytes, or zero) or `count` (not 1 to {@link MAX_RECEIPTS_PER_ROOT}), before sending
   * @throws {ContractRevertError} e.g. `RootAlreadyAnchored`, `NotDisclosingMember`, `DisclosingOrganizationSuspended`, `EnforcedPause`
   */
  async anchor(params: AnchorDisclosuresParams, overrides: Overrides = {}): Promise<TxHandle<{ root: string; count: number; orgId: bigint; by: string }>> {
    if (params === null || typeof params !== "object") throw new ValidationError("params", "is not { root, count }");
    const root = requireBytes32("root", params.root);
    const count = params.count;
    if (typeof count !== "number" || !Number.isSafeInteger(count) || count < 1 || count > MAX_RECEIPTS_PER_ROOT) {
      const given = typeof count === "string" ? JSON.stringify(count) : String(count);
      throw new ValidationError("count", `${given} is not a number of receipts one root may hold (1 to ${MAX_RECEIPTS_PER_ROOT})`);
    }
    requireSigner(this.contract.runner);
    return this.send(
      () => this.contract.anchorDisclosures(root, count, overrides),
      (receipt) => {
        const e = eventIn(this.contract, receipt, "DisclosuresAnchored");
        return { root, count: Number(e.args.count), orgId: e.args.orgId as bigint, by: e.args.by as string };
      },
    );
  }

  /**
   * Organization `orgId`'s anchor of `root`, or `undefined` when that organization never anchored it
   * (whether or not another one did).
   * @throws {ValidationError} `root` when it is not 32 bytes, `orgId` when it is not an id
   */
  async anchorOf(root: string, orgId: bigint | number | string): Promise<DisclosureAnchor | undefined> {
    const r = requireBytes32("root", root, { allowZero: true });
    const org = requireId("orgId", orgId);
    const a = await this.read(() => this.contract.anchorOf(org, r));
    if (a.orgId === 0n) return undefined;
    return { orgId: a.orgId, count: Number(a.count), anchoredAt: Number(a.anchoredAt), blockNumber: a.blockNumber };
  }

  /**
   * Whether `receipt` is under `root` (its proof checked here, off chain, as OpenZeppelin's
   * `MerkleProof` does) and `root` was anchored by the receipt's holder (the chain asked for the anchor
   * of `receipt.holderOrgId`; another organization's anchor of the same root counts for nothing). The
   * leaf is computed from the receipt, never taken from anyone. What it proves, and what not: the
   * holder committed to this receipt at `anchoredAt`; not that the count or any other receipt is true.
   * @throws {ValidationError} naming the receipt's field (`receipt.patient`, …), `root`, `proof` or `proof[i]`
   */
  async verifyReceipt(params: VerifyReceiptParams): Promise<ReceiptVerification> {
    if (params === null || typeof params !== "object") throw new ValidationError("params", "is not { receipt, proof, root }");
    const holder = receiptValues(params.receipt)[2];
    const included = verifyReceiptProof(params.receipt, params.proof, params.root);
    const anchor = await this.anchorOf(params.root, holder);
    if (anchor === undefined) return { verified: false, anchored: false, orgMatches: false, included };
    return { verified: included, anchored: true, orgMatches: true, included, anchoredAt: anchor.anchoredAt, blockNumber: anchor.blockNumber };
  }
}
