/**
 * The closed vocabularies of consent as tables, mirrored from `contracts/consent/ConsentVocabulary.sol`
 * (a test proves both agree): data classes and purposes as bit positions, and break-glass reason codes.
 * A leaf: it imports nothing, so that errors/ can say a class or a purpose by name (vocab.ts parses names).
 */

/** Data classes → bit positions. Bits 16..20 are the sensitive classes, never implied by any other. */
export const DATA_CLASSES = {
  demographics: 0,
  conditions: 1,
  medications: 2,
  allergies: 3,
  labs: 4,
  vitals: 5,
  imaging: 6,
  procedures: 7,
  immunizations: 8,
  notes: 9,
  encounters: 10,
  carePlans: 11,
  claims: 12,
  mentalHealth: 16,
  substanceUse: 17,
  hiv: 18,
  sexualReproductiveHealth: 19,
  genomics: 20,
} as const;

/** A data class name. */
export type DataClassName = keyof typeof DATA_CLASSES;

/** The sensitive data classes: granted only by naming them. */
export const SENSITIVE_DATA_CLASSES: readonly DataClassName[] = ["mentalHealth", "substanceUse", "hiv", "sexualReproductiveHealth", "genomics"];

/** The general data classes (every class that is not sensitive). */
export const GENERAL_DATA_CLASSES: readonly DataClassName[] = (Object.keys(DATA_CLASSES) as DataClassName[]).filter(
  (n) => !SENSITIVE_DATA_CLASSES.includes(n),
);

/** HL7 PurposeOfUse → bit positions. */
export const PURPOSES = {
  TREAT: 0,
  ETREAT: 1,
  HPAYMT: 2,
  HOPERAT: 3,
  HRESCH: 4,
  PUBHLTH: 5,
} as const;

/** A purpose of use name. */
export type PurposeName = keyof typeof PURPOSES;

/** Break-glass reason codes (0 is not a reason). */
export const BREAK_GLASS_REASONS = {
  PATIENT_INCAPACITATED: 1,
  LIFE_THREATENING: 2,
  TIME_CRITICAL_CARE: 3,
  MASS_CASUALTY: 4,
} as const;

/** A break-glass reason name. */
export type BreakGlassReasonName = keyof typeof BREAK_GLASS_REASONS;

/** The name of a data class position (`undefined` when unassigned). */
export function dataClassName(position: number | bigint): DataClassName | undefined {
  return (Object.keys(DATA_CLASSES) as DataClassName[]).find((n) => DATA_CLASSES[n] === Number(position));
}

/** The names of the purposes in `mask`, in bit order. */
export function purposeNames(mask: number | bigint): PurposeName[] {
  const m = Number(mask);
  return (Object.keys(PURPOSES) as PurposeName[]).filter((n) => (m >> PURPOSES[n]) & 1);
}

/** The name of a purpose position (`undefined` when unassigned). */
export function purposeName(position: number | bigint): PurposeName | undefined {
  return (Object.keys(PURPOSES) as PurposeName[]).find((n) => PURPOSES[n] === Number(position));
}
