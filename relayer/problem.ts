/**
 * The relayer's refusals: JSON problems (RFC 9457, `application/problem+json`), each with an HTTP
 * status, a stable `code` the SDK's RelayerClient maps to a typed error, the offending `field` when the
 * body is to blame, and for a call the contract would refuse the custom error's name and arguments as the
 * SDK decodes them. Never a stack trace, never a signature.
 */
import type { FastifyReply } from "fastify";
import { ContractRevertError, ValidationError } from "../sdk/errors";

export const PROBLEM_JSON = "application/problem+json";

/** A refusal: its status, code, sentence, and what is to blame. */
export class RelayerProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    readonly extra: { readonly field?: string; readonly errorName?: string; readonly args?: Readonly<Record<string, unknown>>; readonly headers?: Readonly<Record<string, string>> } = {},
  ) {
    super(detail);
    this.name = "RelayerProblem";
  }
}

/** Values as JSON can carry them (bigints as decimal strings). */
export function jsonSafe(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
  return value;
}

/** 400 naming the field, from the SDK's validation. */
export function invalidInput(err: ValidationError): RelayerProblem {
  return new RelayerProblem(400, "INVALID_INPUT", err.message, { field: err.field });
}

/** 422: the contract would refuse the call (or refused it), with its decoded error. */
export function wouldRevert(err: ContractRevertError): RelayerProblem {
  return new RelayerProblem(422, err.code, err.message, { errorName: err.errorName, args: jsonSafe(err.args) as Record<string, unknown> });
}

/** 503: the chain cannot be read; nothing was paid. */
export function chainUnavailable(what: string): RelayerProblem {
  return new RelayerProblem(503, "CHAIN_UNAVAILABLE", `the chain cannot be read ${what}: nothing was recorded or paid`, { headers: { "retry-after": "5" } });
}

/** 503: the database cannot be used; nothing was paid. */
export function databaseUnavailable(): RelayerProblem {
  return new RelayerProblem(503, "DATABASE_UNAVAILABLE", "the relayer's database is unavailable: nothing was recorded or paid", { headers: { "retry-after": "5" } });
}

const TITLES: Readonly<Record<number, string>> = {
  400: "Bad Request",
  404: "Not Found",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** Sends `problem` as `application/problem+json`. */
export function sendProblem(reply: FastifyReply, problem: RelayerProblem): FastifyReply {
  for (const [name, value] of Object.entries(problem.extra.headers ?? {})) reply.header(name, value);
  const { field, errorName, args } = problem.extra;
  return reply
    .code(problem.status)
    .type(PROBLEM_JSON)
    .send({ type: "about:blank", title: TITLES[problem.status] ?? "Error", status: problem.status, code: problem.code, detail: problem.message, field, errorName, args });
}
