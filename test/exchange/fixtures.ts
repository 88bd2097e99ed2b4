/**
 * Disclosure receipts for the tests: deterministic, realistic (the access reference is made by the
 * SDK's accessReference from a record's salt and id), one per number.
 */
import { getAddress, id, zeroPadValue, toBeHex } from "ethers";
import { accessReference, DATA_CLASSES, PURPOSES, type DisclosureReceipt } from "../../sdk";

/** A deterministic address standing for actor `tag`. */
export const addressOf = (tag: string): string => getAddress("0x" + id(tag).slice(26));

/** Disclosure receipt `n` of the hospital (org 1) to the doctor's gateway request; `over` changes it. */
export function receiptN(n: number, over: Partial<DisclosureReceipt> = {}): DisclosureReceipt {
  const salt = zeroPadValue(toBeHex(0x5a17n * 1000n + BigInt(n)), 32);
  const nonce = zeroPadValue(toBeHex(0xacce55n * 1000n + BigInt(n)), 32);
  return {
    requestDigest: id(`gateway request ${n}`),
    requester: addressOf("doctor"),
    holderOrgId: 1n,
    patient: addressOf("patient"),
    accessRef: accessReference({ salt, recordId: id(`record ${n}`) }, nonce).recordRef,
    dataClass: DATA_CLASSES.labs,
    purpose: PURPOSES.TREAT,
    permittedAtBlock: 1_000n + BigInt(n),
    ...over,
  };
}

/** Receipts 0 … count-1, each changed by `over`. */
export const receipts = (count: number, over: Partial<DisclosureReceipt> = {}): DisclosureReceipt[] => Array.from({ length: count }, (_, n) => receiptN(n, over));
