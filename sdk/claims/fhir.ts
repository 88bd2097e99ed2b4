/**
 * FHIR R4 in and out for claims: a `Claim` becomes a {@link ClaimSubmission}; an adjudicated claim
 * becomes a `ClaimResponse` or an `ExplanationOfBenefit` with adjudication categories (submitted,
 * eligible, deductible, copay, coinsurance, benefit) and CARC reason codes, so an insurer's
 * existing systems can read the outcome. Nothing here touches the chain: the claims client's
 * `toClaimResponse` / `toExplanationOfBenefit` read a claim's events and map them with
 * {@link claimResponseFrom} / {@link explanationOfBenefitFrom}.
 */
import * as fs from "node:fs";
import { fhirIssues } from "../core/fhirValidation";
import { requireId } from "../core/validate";
import { ValidationError } from "../errors";
import { parseProcedureCode, procedureCode } from "./encoding";
import { dayTimestamp, toUnits, validateSubmission } from "./rules";
import type { ClaimHistory, ClaimState, ClaimSubmission } from "./types";
import { ClaimStatus, CODE_SYSTEMS, MAX_LINES } from "./vocab";
import { ACCOUNT_SYSTEM, ORG_SYSTEM } from "../core/fhirSystems";

/** A FHIR resource, as parsed JSON. */
export type FhirResource = Record<string, unknown> & { resourceType: string };

/** A FHIR Reference (`reference` and/or `identifier`, `display`). */
export interface FhirReference {
  readonly reference?: string;
  readonly display?: string;
  readonly identifier?: { system?: string; value?: string };
}

/** How {@link fromFhirClaim} finds the on-chain parties of a Claim. Return `undefined` when unknown. */
export interface FhirClaimResolver {
  /** The member's account for `Claim.patient`. */
  member(patient: FhirReference, claim: FhirResource): string | undefined;
  /** The provider organization id for `Claim.provider`. */
  provider(provider: FhirReference, claim: FhirResource): bigint | number | undefined;
  /** The plan id for the focal `Claim.insurance[].coverage`. */
  plan(coverage: FhirReference, claim: FhirResource): bigint | number | undefined;
  /** The evidence commitment of this Claim (anchored by the provider's organization in the record registry). */
  evidence(claim: FhirResource): string;
  /** Resolves a reference to a resource in the same Bundle (used for a pharmacy claim's prescription). */
  reference?(reference: string): FhirResource | undefined;
  /** The prior-authorization id to attach (default none). */
  authorization?(claim: FhirResource): bigint | number | undefined;
}

/** Options of {@link fromFhirClaim}. */
export interface FromFhirClaimOptions {
  readonly resolve: FhirClaimResolver;
  /** The settlement token's decimals (default 6). Amounts are rounded half-to-even to cents first. */
  readonly decimals?: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

function money(field: string, v: unknown, decimals: number): bigint {
  if (!isObject(v) || typeof v.value !== "number") throw new ValidationError(field, "has no numeric value");
  if (v.currency !== undefined && v.currency !== "USD") throw new ValidationError(`${field}.currency`, `${JSON.stringify(v.currency)} is not USD, the settlement currency`);
  return toUnits(v.value, decimals, `${field}.value`);
}

function pickCode(field: string, concept: unknown): string {
  const codings = isObject(concept) && Array.isArray(concept.coding) ? (concept.coding as Record<string, unknown>[]) : [];
  const known = codings.find((c) => typeof c.system === "string" && CODE_SYSTEMS[c.system] !== undefined && typeof c.code === "string");
  if (!known) throw new ValidationError(`${field}.coding`, `has no code from a system CareLedger maps (${Object.keys(CODE_SYSTEMS).join(", ")})`);
  return procedureCode(known.system as string, known.code as string, field);
}

/**
 * Maps an R4 Claim to a submission. Items become lines: the first coding from a known system is
 * the code; `quantity` the units (default 1); `net` (or `unitPrice` x quantity) the charge. An item
 * without a price that carries the `encounter` is charged the rest of `Claim.total` (Synthea puts
 * the encounter's cost there); other unpriced items become zero-charge lines, except an unpriced
 * item that points at a diagnosis (`diagnosisSequence`): that is the diagnosis itself (Synthea writes
 * each one so), not a service, and diagnoses never go on chain — it is left out. A pharmacy claim's
 * line is the prescribed medication (from `Claim.prescription`). The service date is the items'
 * common `servicedDate`, else `billablePeriod.start`, as midnight UTC.
 * @throws {ValidationError} naming the element that is not valid R4 (e.g. `Claim.status`) or cannot be mapped (e.g. `Claim.item[2].productOrService.coding`)
 */
export function fromFhirClaim(resource: unknown, options: FromFhirClaimOptions): ClaimSubmission {
  const decimals = options.decimals ?? 6;
  const { resolve } = options;
  if (!isObject(resource) || resource.resourceType !== "Claim") throw new ValidationError("Claim.resourceType", "the resource is not a FHIR Claim");
  // A valid R4 Claim first (HL7's definitions, Medplum's validator), then what CareLedger can map.
  const [invalid] = fhirIssues(resource);
  if (invalid) throw new ValidationError(invalid.expression, invalid.message);
  const claim = resource as FhirResource;
  if (claim.use !== undefined && claim.use !== "claim") throw new ValidationError("Claim.use", `${JSON.stringify(claim.use)} is not a claim (preauthorizations and predeterminations are not submitted)`);

  if (!isObject(claim.patient)) throw new ValidationError("Claim.patient", "is missing");
  const member = resolve.member(claim.patient as FhirReference, claim);
  if (!member) throw new ValidationError("Claim.patient", `${JSON.stringify((claim.patient as FhirReference).reference)} does not resolve to a member account`);
  if (!isObject(claim.provider)) throw new ValidationError("Claim.provider", "is missing");
  const providerOrg = resolve.provider(claim.provider as FhirReference, claim);
  if (providerOrg === undefined) throw new ValidationError("Claim.provider", `${JSON.stringify((claim.provider as FhirReference).reference)} does not resolve to a provider organization`);
  const insurance = Array.isArray(claim.insurance) ? (claim.insurance as Record<string, unknown>[]) : [];
  const focal = insurance.find((i) => i.focal === true) ?? insurance[0];
  if (!focal || !isObject(focal.coverage)) throw new ValidationError("Claim.insurance", "has no focal coverage");
  const planId = resolve.plan(focal.coverage as FhirReference, claim);
  if (planId === undefined) throw new ValidationError("Claim.insurance.coverage", `${JSON.stringify(focal.coverage)} does not resolve to a plan`);

  const items = Array.isArray(claim.item) ? (claim.item as Record<string, unknown>[]) : [];
  if (items.length === 0 || items.length > MAX_LINES) throw new ValidationError("Claim.item", `has ${items.length} items; a claim has 1 to ${MAX_LINES}`);

  const dates = new Set(items.map((it) => it.servicedDate).filter((d): d is string => typeof d === "string"));
  if (dates.size > 1) throw new ValidationError("Claim.item.servicedDate", "items carry different service dates: split the claim by date");
  let serviceDate: number;
  if (dates.size === 1) serviceDate = dayTimestamp([...dates][0], "Claim.item.servicedDate");
  else if (isObject(claim.billablePeriod) && typeof claim.billablePeriod.start === "string") serviceDate = dayTimestamp(claim.billablePeriod.start, "Claim.billablePeriod.start");
  else throw new ValidationError("Claim.billablePeriod", "neither the items' servicedDate nor billablePeriod.start gives a service date");

  let drugCode: string | undefined;
  const type = isObject(claim.type) && Array.isArray(claim.type.coding) ? (claim.type.coding as Record<string, unknown>[])[0]?.code : undefined;
  if (type === "pharmacy" && claim.prescription !== undefined) {
    const ref = isObject(claim.prescription) ? (claim.prescription.reference as string | undefined) : undefined;
    const rx = ref && resolve.reference ? resolve.reference(ref) : undefined;
    if (!rx || !isObject(rx.medicationCodeableConcept)) throw new ValidationError("Claim.prescription", `${JSON.stringify(ref)} does not resolve to a MedicationRequest with a medication code`);
    drugCode = pickCode("Claim.prescription.medicationCodeableConcept", rx.medicationCodeableConcept);
  }

  const isDiagnosis = (it: Record<string, unknown>) =>
    Array.isArray(it.diagnosisSequence) && it.diagnosisSequence.length > 0 && it.net === undefined && it.unitPrice === undefined;
  const billable = items.map((it, i) => ({ it, i })).filter(({ it }) => !isDiagnosis(it));
  if (billable.length === 0) throw new ValidationError("Claim.item", "has no billable item: every item is an unpriced diagnosis");
  const lines: { code: string; units: number; charged: bigint; priced: boolean; encounter: boolean }[] = billable.map(({ it, i }) => {
    const field = `Claim.item[${i}]`;
    const encounter = Array.isArray(it.encounter) && it.encounter.length > 0;
    const code = drugCode && encounter ? drugCode : pickCode(`${field}.productOrService`, it.productOrService);
    let units = 1;
    if (it.quantity !== undefined) {
      const q = isObject(it.quantity) ? it.quantity.value : undefined;
      if (typeof q !== "number" || !Number.isInteger(q) || q < 1) throw new ValidationError(`${field}.quantity`, `${JSON.stringify(q)} is not a positive whole number of units`);
      units = q;
    }
    if (it.net !== undefined) return { code, units, charged: money(`${field}.net`, it.net, decimals), priced: true, encounter };
    if (it.unitPrice !== undefined) {
      const factor = typeof it.factor === "number" ? it.factor : 1;
      if (factor !== 1) throw new ValidationError(`${field}.factor`, "only a factor of 1 can be mapped");
      return { code, units, charged: money(`${field}.unitPrice`, it.unitPrice, decimals) * BigInt(units), priced: true, encounter };
    }
    return { code, units, charged: 0n, priced: false, encounter };
  });

  const open = lines.filter((l) => !l.priced && l.encounter);
  if (claim.total !== undefined) {
    const total = money("Claim.total", claim.total, decimals);
    const priced = lines.reduce((s, l) => s + l.charged, 0n);
    if (priced > total) throw new ValidationError("Claim.total", "is less than the sum of the items' prices");
    if (open.length > 1) throw new ValidationError("Claim.item.net", "more than one encounter item has no price: the total cannot be apportioned");
    if (open.length === 1) open[0].charged = total - priced;
    else if (priced !== total) throw new ValidationError("Claim.total", "does not equal the sum of the items' prices");
  } else if (open.length > 0) {
    throw new ValidationError("Claim.total", "is missing, so the unpriced encounter item cannot be charged");
  }

  const authId = resolve.authorization?.(claim);
  return validateSubmission({
    // What the resolver returned, checked as ids here: a plan of 1.5 is a ValidationError, never a RangeError.
    planId: requireId("planId", planId),
    member,
    providerOrg: requireId("providerOrg", providerOrg),
    serviceDate,
    authId: authId === undefined ? 0n : requireId("authId", authId, { allowZero: true }),
    evidence: resolve.evidence(claim),
    lines: lines.map(({ code, units, charged }) => ({ code, units, charged })),
  });
}

/**
 * The Claim resources of a file's content: a Claim, a Bundle (its Claim entries) or NDJSON (one
 * resource per line), each with a resolver for references inside its Bundle.
 * @throws {ValidationError} `file` when the content is none of those
 */
export function claimsIn(content: string): { claim: FhirResource; reference: (ref: string) => FhirResource | undefined }[] {
  const text = content.trim();
  let resources: unknown[];
  try {
    resources = [JSON.parse(text)];
  } catch {
    try {
      resources = text.split(/\r?\n/).filter((l) => l.trim()).map((l) => JSON.parse(l));
    } catch (err) {
      throw new ValidationError("file", `is neither JSON nor NDJSON (${(err as Error).message})`);
    }
  }
  const out: { claim: FhirResource; reference: (ref: string) => FhirResource | undefined }[] = [];
  for (const r of resources) {
    if (!isObject(r)) continue;
    if (r.resourceType === "Claim") out.push({ claim: r as FhirResource, reference: () => undefined });
    if (r.resourceType === "Bundle" && Array.isArray(r.entry)) {
      const byUrl = new Map<string, FhirResource>();
      for (const e of r.entry as Record<string, unknown>[]) {
        const res = e.resource as FhirResource | undefined;
        if (!res) continue;
        if (typeof e.fullUrl === "string") byUrl.set(e.fullUrl, res);
        if (typeof res.id === "string") byUrl.set(`${res.resourceType}/${res.id}`, res);
      }
      const reference = (ref: string) => byUrl.get(ref);
      for (const res of byUrl.values()) if (res.resourceType === "Claim" && !out.some((o) => o.claim === res)) out.push({ claim: res, reference });
    }
  }
  if (out.length === 0) throw new ValidationError("file", "holds no Claim resource");
  return out;
}

/** Reads {@link claimsIn} from a file path. */
export function readClaimsFile(path: string): ReturnType<typeof claimsIn> {
  return claimsIn(fs.readFileSync(path, "utf8"));
}

// ---------------------------------------------------------------------------------------- out

const ADJUDICATION = "http://terminology.hl7.org/CodeSystem/adjudication";
const CARECLEDGER_ADJUDICATION = "urn:careledger:adjudication";
const CARC_SYSTEM = "https://x12.org/codes/claim-adjustment-reason-codes";
const CLAIM_ID_SYSTEM = "urn:careledger:claim";
const PLAN_SYSTEM = "urn:careledger:plan";

/** Options of the FHIR outputs. */
export interface FhirOutputOptions {
  /** Token decimals (default 6). */
  readonly decimals?: number;
  /** `Claim.type` code to echo (default `professional`). */
  readonly type?: string;
  /** When the resource is created (default: now). */
  readonly created?: string;
  /** The plan's insurer organization id, for `insurer` (default: unknown, given by display only). */
  readonly insurerOrgId?: bigint;
}

function amount(units: bigint, decimals: number): { value: number; currency: string } {
  const cents = units / 10n ** BigInt(decimals - 2);
  return { value: Number(cents) / 100, currency: "USD" };
}

function reasonOf(code: number) {
  return { coding: [{ system: CARC_SYSTEM, code: String(code) }] };
}

function adjudications(o: { charged: bigint; allowed: bigint; deductible: bigint; copay: bigint; coinsurance: bigint; plan: bigint; reason: number }, decimals: number) {
  const cat = (code: string, system = ADJUDICATION) => ({ coding: [{ system, code }] });
  const out: Record<string, unknown>[] = [
    { category: cat("submitted"), amount: amount(o.charged, decimals) },
    { category: cat("eligible"), amount: amount(o.allowed, decimals) },
  ];
  if (o.deductible > 0n) out.push({ category: cat("deductible"), reason: reasonOf(1), amount: amount(o.deductible, decimals) });
  if (o.copay > 0n) out.push({ category: cat("copay"), reason: reasonOf(3), amount: amount(o.copay, decimals) });
  if (o.coinsurance > 0n) out.push({ category: cat("coinsurance", CARECLEDGER_ADJUDICATION), reason: reasonOf(2), amount: amount(o.coinsurance, decimals) });
  const benefit: Record<string, unknown> = { category: cat("benefit"), amount: amount(o.plan, decimals) };
  if (o.reason !== 0) benefit.reason = reasonOf(o.reason);
  out.push(benefit);
  return out;
}

function outcomeOf(status: ClaimStatus): "queued" | "complete" {
  return status === ClaimStatus.Pended || status === ClaimStatus.Appealed ? "queued" : "complete";
}

const DISPOSITIONS: Record<ClaimStatus, string> = {
  [ClaimStatus.None]: "Unknown claim.",
  [ClaimStatus.Pended]: "Pended for an adjuster's review.",
  [ClaimStatus.Approved]: "Approved as per the plan's rules.",
  [ClaimStatus.Partial]: "Partially approved: see the reason codes of each line.",
  [ClaimStatus.Denied]: "Denied: see the reason codes of each line.",
  [ClaimStatus.Appealed]: "Under appeal.",
  [ClaimStatus.Upheld]: "Appeal decided: the decision is upheld.",
  [ClaimStatus.Overturned]: "Appeal decided: the decision is overturned and the difference paid.",
  [ClaimStatus.Replaced]: "Replaced by a corrected claim.",
  [ClaimStatus.Voided]: "Voided by the provider (billed in error): what the plan paid is owed back.",
};

function lineFigures(h: ClaimHistory) {
  const outcomes = h.outcomes.length > 0 ? h.outcomes : h.preview ?? [];
  return h.submission.lines.map((l, i) => {
    const o = outcomes[i] ?? { allowed: 0n, deductible: 0n, copay: 0n, coinsurance: 0n, plan: 0n, reason: 0 };
    return { line: l, figures: { charged: l.charged, ...o } };
  });
}

function totals(rows: ReturnType<typeof lineFigures>, decimals: number) {
  const sum = (k: "charged" | "allowed" | "deductible" | "copay" | "coinsurance" | "plan") => rows.reduce((s, r) => s + r.figures[k], 0n);
  const cat = (code: string, system = ADJUDICATION) => ({ coding: [{ system, code }] });
  return [
    { category: cat("submitted"), amount: amount(sum("charged"), decimals) },
    { category: cat("eligible"), amount: amount(sum("allowed"), decimals) },
    { category: cat("deductible"), amount: amount(sum("deductible"), decimals) },
    { category: cat("copay"), amount: amount(sum("copay"), decimals) },
    { category: cat("coinsurance", CARECLEDGER_ADJUDICATION), amount: amount(sum("coinsurance"), decimals) },
    { category: cat("benefit"), amount: amount(sum("plan"), decimals) },
  ];
}

const PAYMENT_ADJUSTMENT = "http://terminology.hl7.org/CodeSystem/payment-adjustment-reason";

/**
 * The payment of a claim: what reached the provider's payee, and an adjustment for what the
 * provider owes back because of this claim (a void or a correction paying less than the chain
 * had: "a001" prior payment reversal) or what was kept from this claim's payment to recover an
 * earlier overpayment (recoupment: "a002" prior overpayment).
 */
function paymentOf(h: ClaimHistory, state: ClaimState, decimals: number) {
  const sum = (xs: readonly { amount: bigint }[]) => xs.reduce((s, x) => s + x.amount, 0n);
  const paid = sum(h.payments);
  const owed = sum(h.owedBack);
  const recovered = sum(h.recovered);
  const settled = h.credit + paid + recovered + sum(h.parked);
  const payment: Record<string, unknown> = {
    type: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/ex-paymenttype", code: settled >= state.planPaid ? "complete" : "partial" }] },
    amount: amount(paid, decimals),
  };
  if (owed > 0n || recovered > 0n) {
    const [value, code, display] = owed > 0n ? [owed, "a001", "Prior Payment Reversal"] : [recovered, "a002", "Prior Overpayment"];
    const money = amount(value, decimals);
    payment.adjustment = { ...money, value: -money.value };
    payment.adjustmentReason = { coding: [{ system: PAYMENT_ADJUSTMENT, code, display }] };
  }
  return payment;
}

function dispositionOf(h: ClaimHistory, state: ClaimState, decimals: number): string {
  const text = DISPOSITIONS[state.status];
  const recovered = h.recovered.reduce((s, x) => s + x.amount, 0n);
  if (recovered === 0n) return text;
  return `${text} ${amount(recovered, decimals).value} of its payment was kept to recover what the provider owed the plan.`;
}

function common(h: ClaimHistory, state: ClaimState, options: FhirOutputOptions) {
  const decimals = options.decimals ?? 6;
  return {
    decimals,
    id: h.claimId.slice(2),
    identifier: [{ system: CLAIM_ID_SYSTEM, value: h.claimId }],
    // A voided claim's response stands, cancelled (FinancialResourceStatusCodes).
    status: state.status === ClaimStatus.Voided ? "cancelled" : "active",
    type: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/claim-type", code: options.type ?? "professional" }] },
    use: "claim",
    patient: { identifier: { system: ACCOUNT_SYSTEM, value: h.submission.member } },
    created: options.created ?? new Date().toISOString(),
    insurer: options.insurerOrgId !== undefined ? { identifier: { system: ORG_SYSTEM, value: String(options.insurerOrgId) } } : { display: `insurer of plan ${state.planId}` },
    outcome: outcomeOf(state.status),
    disposition: dispositionOf(h, state, decimals),
    payment: paymentOf(h, state, decimals),
  };
}

/** A ClaimResponse from a claim's history and state (pure). */
export function claimResponseFrom(h: ClaimHistory, state: ClaimState, options: FhirOutputOptions = {}): FhirResource {
  const c = common(h, state, options);
  const rows = lineFigures(h);
  return {
    resourceType: "ClaimResponse",
    id: c.id,
    identifier: c.identifier,
    status: c.status,
    type: c.type,
    use: c.use,
    patient: c.patient,
    created: c.created,
    insurer: c.insurer,
    requestor: { identifier: { system: ORG_SYSTEM, value: String(h.submission.providerOrg) } },
    request: { identifier: { system: CLAIM_ID_SYSTEM, value: h.claimId } },
    outcome: c.outcome,
    disposition: c.disposition,
    payeeType: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/payeetype", code: "provider" }] },
    item: rows.map((r, i) => ({ itemSequence: i + 1, adjudication: adjudications(r.figures, c.decimals) })),
    total: totals(rows, c.decimals),
    payment: c.payment,
  };
}

/** An ExplanationOfBenefit from a claim's history and state (pure). */
export function explanationOfBenefitFrom(h: ClaimHistory, state: ClaimState, options: FhirOutputOptions = {}): FhirResource {
  const c = common(h, state, options);
  const rows = lineFigures(h);
  const day = new Date(h.submission.serviceDate * 1000).toISOString().slice(0, 10);
  return {
    resourceType: "ExplanationOfBenefit",
    id: c.id,
    identifier: c.identifier,
    status: c.status,
    type: c.type,
    use: c.use,
    patient: c.patient,
    billablePeriod: { start: day, end: day },
    created: c.created,
    insurer: c.insurer,
    provider: { identifier: { system: ORG_SYSTEM, value: String(h.submission.providerOrg) } },
    claim: { identifier: { system: CLAIM_ID_SYSTEM, value: h.claimId } },
    outcome: c.outcome,
    disposition: c.disposition,
    insurance: [{ focal: true, coverage: { identifier: { system: PLAN_SYSTEM, value: String(state.planId) } } }],
    item: rows.map((r, i) => {
      const { system, code, hashed } = parseProcedureCode(r.line.code);
      return {
        sequence: i + 1,
        productOrService: { coding: [{ system: hashed ? "urn:careledger:code-hash" : (system ?? "urn:careledger:code"), code }] },
        servicedDate: day,
        quantity: { value: r.line.units },
        net: amount(r.line.charged, c.decimals),
        adjudication: adjudications(r.figures, c.decimals),
      };
    }),
    total: totals(rows, c.decimals),
    payment: c.payment,
  };
}
