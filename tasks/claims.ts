/**
 * Insurer and provider tasks for the claims engine:
 *   claims:plan      --file plan.json [--token <address>]                   (an insurer admin)
 *   claims:fund      --plan 1 --amount 1000.00                             (anyone; approves the token first)
 *   claims:release-parked --plan-id 1 --provider-org 1                     (anyone; pays the provider's current payee)
 *   claims:enroll    --plan 1 --member <address> --start 2026-01-01 --end 2026-12-31   (insurer staff)
 *   claims:authorize --plan 1 --member <address> --system <uri|alias> --code <code> --max 500.00 --valid-from <date> --valid-until <date>
 *   claims:submit    --file <Claim | Bundle | NDJSON> --plan 1 --provider 1 --member <address> --evidence <map.json>
 *                    many claims with a progress line on stderr, one JSON line per claim on stdout; idempotent:
 *                    a claim already on chain is not sent again, its id is printed with "skipped": true.
 *                    Resumable: it first waits for the signer's own pending transactions to be mined (a claim
 *                    sent by a run that stopped is never sent twice), and stops at the first claim that fails
 *                    (printing {claimId, error: <code>, errorName?}); run it again to resume from there.
 *   claims:decide    --claim <id> [--deny <carc> | --allow <amount> --reason <carc>] [--appeal]   (an adjuster)
 *   claims:appeal    --claim <id>                                          (the member or the provider)
 *   claims:void      --claim <id>                                          (the billing provider: billed in error)
 *   claims:resubmit  --claim <id> [--auth-id <id>]                         (the billing provider: a denied claim, its cause fixed)
 *   claims:owed      --plan 1 --provider 1                                 (what a provider owes a plan back)
 *   claims:repay     --plan 1 --provider 1 --amount 400.00                 (anyone, usually the provider; approves the token first)
 *   claims:status    --claim <id> [--indexer <url>]
 *   claims:list      [--plan <id>] [--provider <orgId>] [--member <account>] [--status pended,denied] [--indexer <url>]
 *   claims:eob       --claim <id> [--out eob.json] [--response] [--indexer <url>]         (ExplanationOfBenefit, or ClaimResponse)
 * Every task takes --from <index | address> to choose the signer. Amounts are decimal dollars.
 */
import * as fs from "node:fs";
import { task, types } from "hardhat/config";
import { connectSdk, INDEXER_OPTION, dateOption, idOptions, printJson, readFileOption, readJsonObjectOption, readJsonOption, withAccounts } from "./support";

const FROM = ["from", "signer: an account index or address"] as const;

task("claims:plan", "Creates a plan with its benefit rules from a JSON file (an insurer admin)")
  .addParam("file", "the plan JSON (see test/fixtures/plans/demo-plan.json)")
  .addOptionalParam("token", "the settlement token (overrides the file's)", undefined, types.string)
  .addOptionalParam(...FROM, undefined, types.string)
  .setAction(async (args: { file: string; token?: string; from?: string }, hre) => {
    const { planFromJson } = await import("../sdk");
    const { terms, benefits } = planFromJson(readJsonOption("file", args.file), args.token);
    const cl = await connectSdk(hre, args.from);
    const { planId, txs } = await cl.claims.createPlanWithBenefits({ terms, benefits });
    printJson({ planId, benefits: benefits.length, txs });
  });

task("claims:fund", "Deposits into a plan's escrow (anyone; approves the token first when needed)")
  .addParam("plan", "the plan id")
  .addParam("amount", "decimal dollars, e.g. 1000.00")
  .addOptionalParam(...FROM, undefined, types.string)
  .setAction(async (args: { plan: string; amount: string; from?: string }, hre) => {
    const { toUnits } = await import("../sdk");
    await idOptions(args, ["plan"]);
    const cl = await connectSdk(hre, args.from);
    const { planId, amount, queuedPaid, queuedParked, receipt } = await (await cl.claims.fund({ planId: args.plan, amount: toUnits(args.amount, 6, "amount") })).wait();
    printJson({ planId, amount, queuedPaid, queuedParked, funds: await cl.claims.funds(planId), tx: receipt.hash });
  });

task("claims:release-parked", "Pays a provider's parked payments of a plan (queued payments the token refused) to the provider's current payee (anyone)")
  .addParam("planId", "the plan id")
  .addParam("providerOrg", "the provider organization id")
  .addOptionalParam(...FROM, undefined, types.string)
  .setAction(async (args: { planId: string; providerOrg: string; from?: string }, hre) => {
    await idOptions(args, ["planId", "providerOrg"]);
    const cl = await connectSdk(hre, args.from);
    const r = await (await cl.claims.releaseParked({ planId: args.planId, providerOrg: args.providerOrg })).wait();
    printJson({ planId: r.planId, providerOrg: r.providerOrg, payee: r.payee, amount: r.amount, tx: r.receipt.hash });
  });

task("claims:enroll", "Enrolls a member in a plan for a coverage period (insurer staff)")
  .addParam("plan", "the plan id")
  .addParam("member", "the member: an address or an account index")
  .addParam("start", "first covered day, YYYY-MM-DD")
  .addParam("end", "last covered day, YYYY-MM-DD")
  .addOptionalParam(...FROM, undefined, types.string)
  .setAction(async (given: { plan: string; member: string; start: string; end: string; from?: string }, hre) => {
    const args = await withAccounts(hre, given, ["member"]);
    await idOptions(args, ["plan"]);
    const [start, end] = [dateOption("start", args.start, { day: true }), dateOption("end", args.end, { day: true })];
    const cl = await connectSdk(hre, args.from);
    const r = await (await cl.claims.enroll({ planId: args.plan, member: args.member, start, end })).wait();
    printJson({ planId: r.planId, member: r.member, start: r.start, end: r.end, tx: r.receipt.hash });
  });

task("claims:authorize", "Issues a prior authorization (insurer staff)")
  .addParam("plan", "the plan id")
  .addParam("member", "the member: an address or an account index")
  .addParam("system", "the code system (FHIR URI or alias such as sct, cpt)")
  .addParam("code", "the procedure code")
  .addParam("max", "the most it authorizes, decimal dollars")
  .addParam("validFrom", "first day, YYYY-MM-DD")
  .addParam("validUntil", "last day, YYYY-MM-DD")
  .addOptionalParam(...FROM, undefined, types.string)
  .setAction(async (given: { plan: string; member: string; system: string; code: string; max: string; validFrom: string; validUntil: string; from?: string }, hre) => {
    const args = await withAccounts(hre, given, ["member"]);
    const { procedureCode, toUnits } = await import("../sdk");
    await idOptions(args, ["plan"]);
    const [validFrom, validUntil] = [dateOption("validFrom", args.validFrom, { day: true }), dateOption("validUntil", args.validUntil, { day: true })];
    const cl = await connectSdk(hre, args.from);
    const { authId, receipt } = await (
      await cl.claims.authorize({
        planId: args.plan,
        member: args.member,
        code: procedureCode(args.system, args.code),
        maxAmount: toUnits(args.max, 6, "max"),
        validFrom,
        validUntil,
      })
    ).wait();
    printJson({ authId, tx: receipt.hash });
  });

task("claims:submit", "Submits the FHIR Claims of a file (Claim, Bundle or NDJSON); idempotent")
  .addParam("file", "a FHIR R4 Claim, a Bundle holding Claims, or NDJSON")
  .addParam("plan", "the plan every claim is submitted to")
  .addParam("provider", "the provider organization id")
  .addParam("member", "the member (the Claims' patient): an address or an account index")
  .addParam("evidence", "a JSON file mapping each Claim's id to its anchored evidence commitment")
  .addOptionalParam(...FROM, undefined, types.string)
  .setAction(async (given: { file: string; plan: string; provider: string; member: string; evidence: string; from?: string }, hre) => {
    const args = await withAccounts(hre, given, ["member"]);
    const { claimIdOf, claimStatusName, claimsIn, fromFhirClaim, ValidationError, waitForPendingTransactions, CareLedgerError, ContractRevertError } = await import("../sdk");
    const ids = await idOptions(args, ["plan", "provider"]);
    const commitments = readJsonObjectOption("evidence", args.evidence, "a map of Claim ids to evidence commitments");
    const claims = claimsIn(readFileOption("file", args.file));
    const cl = await connectSdk(hre, args.from);
    const submissions = claims
      .map(({ claim, reference }) =>
        fromFhirClaim(claim, {
          resolve: {
            member: () => args.member,
            provider: () => ids.provider,
            plan: () => ids.plan,
            evidence: (c) => {
              const e = commitments[String(c.id)];
              if (typeof e !== "string" || e === "") throw new ValidationError("evidence", `has no commitment for Claim ${String(c.id)}: anchor it first`);
              return e;
            },
            reference,
          },
        }),
      )
      .sort((a, b) => a.serviceDate - b.serviceDate);
    // Resuming: a transaction of an earlier run may still be in the node's pool; once it is mined
    // its claim is on chain and submitOnce skips it, so nothing is submitted twice.
    const signer = cl.runner as import("ethers").Signer;
    await waitForPendingTransactions(signer.provider!, await signer.getAddress(), {
      onWait: (n) => process.stderr.write(`waiting for ${n} pending transaction(s) of ${args.from ?? "the signer"} to be mined before resuming\n`),
    });
    let done = 0;
    for (const s of submissions) {
      try {
        const r = await cl.claims.submitOnce(s);
        if (r.duplicate) {
          printJson({ claimId: r.claimId, skipped: true, status: claimStatusName(r.state.status) });
        } else {
          const res = await r.handle.wait();
          printJson({ claimId: res.claimId, status: claimStatusName(res.status), planTotal: res.planTotal, memberTotal: res.memberTotal, paid: res.paid, queued: res.queued, gasUsed: res.receipt.gasUsed });
        }
      } catch (err) {
        // Stop here, saying which claim and why; a new run resumes from this claim.
        if (err instanceof CareLedgerError) printJson({ claimId: claimIdOf(s), error: err.code, ...(err instanceof ContractRevertError ? { errorName: err.errorName } : {}), message: err.message });
        throw err;
      }
      process.stderr.write(`\r[${"#".repeat(Math.round((++done / submissions.length) * 30)).padEnd(30)}] ${done}/${submissions.length}`);
    }
    process.stderr.write("\n");
  });

task("claims:decide", "Decides a pended claim, or resolves an appeal with --appeal (an adjuster)")
  .addParam("claim", "the claim id")
  .addOptionalParam("deny", "deny every line with this CARC", undefined, types.int)
  .addOptionalParam("allow", "allow this amount on every line (decimal dollars)", undefined, types.string)
  .addOptionalParam("reason", "the CARC for a reduced amount", undefined, types.int)
  .addFlag("appeal", "resolve the claim's appeal instead")
  .addOptionalParam(...FROM, undefined, types.string)
  .setAction(async (args: { claim: string; deny?: number; allow?: string; reason?: number; appeal: boolean; from?: string }, hre) => {
    const { toUnits } = await import("../sdk");
    const cl = await connectSdk(hre, args.from);
    const record = await cl.claims.record(args.claim);
    const decisions =
      args.deny !== undefined
        ? record.lines.map(() => ({ deny: args.deny as number }))
        : args.allow !== undefined
          ? record.lines.map(() => ({ allowed: toUnits(args.allow as string, 6, "allow"), reason: args.reason }))
          : undefined;
    const handle = args.appeal ? await cl.claims.resolveAppeal({ claimId: args.claim, decisions }) : await cl.claims.decide({ claimId: args.claim, decisions });
    const r = await handle.wait();
    printJson({ claimId: r.claimId, status: (await import("../sdk")).claimStatusName(r.status), planTotal: r.planTotal, memberTotal: r.memberTotal, paid: r.paid, queued: r.queued, tx: r.receipt.hash });
  });

task("claims:appeal", "Appeals a partial or denied claim (its member, or a member of its provider)")
  .addParam("claim", "the claim id")
  .addOptionalParam(...FROM, undefined, types.string)
  .setAction(async (args: { claim: string; from?: string }, hre) => {
    const cl = await connectSdk(hre, args.from);
    const { claimId, receipt } = await (await cl.claims.appeal({ claimId: args.claim })).wait();
    printJson({ claimId, status: "appealed", tx: receipt.hash });
  });

task("claims:void", "Voids a claim billed in error: what the plan paid for it is owed back (a member of the billing provider)")
  .addParam("claim", "the claim id")
  .addOptionalParam(...FROM, undefined, types.string)
  .setAction(async (args: { claim: string; from?: string }, hre) => {
    const cl = await connectSdk(hre, args.from);
    const { claimId, owed, receipt } = await (await cl.claims.voidClaim({ claimId: args.claim })).wait();
    printJson({ claimId, status: "voided", owed, tx: receipt.hash });
  });

task("claims:resubmit", "Resubmits a denied claim once its cause is fixed, adjudicated afresh (a member of the billing provider)")
  .addParam("claim", "the denied claim's id")
  .addOptionalParam("authId", "the prior authorization now recorded", undefined, types.string)
  .addOptionalParam(...FROM, undefined, types.string)
  .setAction(async (args: { claim: string; authId?: string; from?: string }, hre) => {
    await idOptions(args, ["authId"]);
    const cl = await connectSdk(hre, args.from);
    const r = await (await cl.claims.resubmit({ claimId: args.claim, authId: args.authId })).wait();
    printJson({ claimId: r.claimId, replaces: args.claim, status: (await import("../sdk")).claimStatusName(r.status), planTotal: r.planTotal, paid: r.paid, recovered: r.recovered, queued: r.queued, tx: r.receipt.hash });
  });

task("claims:owed", "Shows what a provider owes a plan back (from corrections and voids), not yet recouped or repaid")
  .addParam("plan", "the plan id")
  .addParam("provider", "the provider organization id")
  .setAction(async (args: { plan: string; provider: string }, hre) => {
    await idOptions(args, ["plan", "provider"]);
    const cl = await connectSdk(hre);
    printJson({ planId: args.plan, providerOrg: args.provider, owed: await cl.claims.owedBack(args.plan, args.provider) });
  });

task("claims:repay", "Repays what a provider owes a plan into its escrow (anyone, usually the provider; approves the token first)")
  .addParam("plan", "the plan id")
  .addParam("provider", "the provider organization id")
  .addParam("amount", "decimal dollars, at most what is owed")
  .addOptionalParam(...FROM, undefined, types.string)
  .setAction(async (args: { plan: string; provider: string; amount: string; from?: string }, hre) => {
    const { toUnits } = await import("../sdk");
    await idOptions(args, ["plan", "provider"]);
    const cl = await connectSdk(hre, args.from);
    const r = await (await cl.claims.repay({ planId: args.plan, providerOrg: args.provider, amount: toUnits(args.amount, 6, "amount") })).wait();
    printJson({ planId: r.planId, providerOrg: r.providerOrg, repaid: r.amount, owed: await cl.claims.owedBack(r.planId, r.providerOrg), queuedPaid: r.queuedPaid, tx: r.receipt.hash });
  });

task("claims:status", "Shows a claim: status, amounts, line outcomes, payments, recoveries, what it owes back, its chain")
  .addParam("claim", "the claim id")
  .addOptionalParam("indexer", INDEXER_OPTION, undefined, types.string)
  .setAction(async (args: { claim: string; indexer?: string }, hre) => {
    const cl = await connectSdk(hre, undefined, { indexer: args.indexer });
    const [state, h] = await Promise.all([cl.claims.claim(args.claim), cl.claims.history(args.claim)]);
    const { CARC, claimStatusName, parseProcedureCode } = await import("../sdk");
    // Codes as text: the status in words, each line's procedure code as `SYSTEM:code` (a hashed long code stays hex),
    // each line's reason as its CARC with the meaning the rules give it ("CARC 119 (benefit maximum)"; null: none).
    const codeText = (code: string) => {
      const p = parseProcedureCode(code);
      return p.hashed ? p.code : `${p.alias}:${p.code}`;
    };
    const carcNames = new Map<number, string>(Object.entries(CARC).map(([name, code]) => [code, name.toLowerCase().replace(/_/g, " ")]));
    const reasonText = (carc: number) => (carc === 0 ? null : carcNames.has(carc) ? `CARC ${carc} (${carcNames.get(carc)})` : `CARC ${carc}`);
    printJson({
      ...state,
      status: claimStatusName(state.status),
      submission: { ...h.submission, lines: h.submission.lines.map((l) => ({ ...l, code: codeText(l.code) })) },
      outcomes: h.outcomes.map((o) => ({ ...o, reason: reasonText(o.reason) })),
      payments: h.payments,
      queued: h.queued,
      recovered: h.recovered,
      owedBack: h.owedBack,
      appeals: h.appeals,
      adjuster: h.adjuster,
      replaces: h.replaces,
      replacedBy: h.replacedBy,
      voided: h.voided,
    });
  });

task("claims:list", "Lists claims (oldest first) by plan, provider, member and status: id, parties, service day and status now")
  .addOptionalParam("plan", "a plan id", undefined, types.string)
  .addOptionalParam("provider", "a provider organization id", undefined, types.string)
  .addOptionalParam("member", "a member: an address or an account index", undefined, types.string)
  .addOptionalParam("status", "statuses, comma-separated: pended, approved, partly-approved, denied, under-appeal, upheld-on-appeal, overturned-on-appeal, replaced, voided", undefined, types.string)
  .addOptionalParam("indexer", INDEXER_OPTION, undefined, types.string)
  .setAction(async (given: { plan?: string; provider?: string; member?: string; status?: string; indexer?: string }, hre) => {
    const args = await withAccounts(hre, given, ["member"]);
    const { claimStatusName } = await import("../sdk");
    await idOptions(args, ["plan", "provider"]);
    const cl = await connectSdk(hre, undefined, { indexer: args.indexer });
    const claims = await cl.claims.list({
      planId: args.plan,
      providerOrg: args.provider,
      member: args.member,
      status: args.status === undefined ? undefined : args.status.split(",").map((s) => s.trim()),
    });
    for (const c of claims) printJson({ ...c, serviceDate: new Date(c.serviceDate * 1000).toISOString().slice(0, 10), status: claimStatusName(c.status) });
  });

task("claims:eob", "Prints a claim's ExplanationOfBenefit (or ClaimResponse) as FHIR R4 JSON")
  .addParam("claim", "the claim id")
  .addOptionalParam("out", "write to this file instead of stdout", undefined, types.string)
  .addFlag("response", "a ClaimResponse instead of an ExplanationOfBenefit")
  .addOptionalParam("indexer", INDEXER_OPTION, undefined, types.string)
  .setAction(async (args: { claim: string; out?: string; response: boolean; indexer?: string }, hre) => {
    const { toClaimResponse, toExplanationOfBenefit } = await import("../sdk");
    const cl = await connectSdk(hre, undefined, { indexer: args.indexer });
    const resource = args.response ? await toClaimResponse(cl.claims, args.claim) : await toExplanationOfBenefit(cl.claims, args.claim);
    const text = JSON.stringify(resource, null, 2);
    if (args.out) fs.writeFileSync(args.out, text + "\n");
    else console.log(text);
  });
