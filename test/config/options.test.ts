/**
 * How the tasks read their options (tasks/support.ts) and the environment (config/env.ts): a file, an
 * id or a date that cannot be used stops with one error naming the option; a variable left empty is unset.
 */
import { expect } from "chai";
import hre from "hardhat";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { UsageError } from "../../config/cli";
import { envVar } from "../../config/env";
import { ValidationError } from "../../sdk";
import { dateOption, idOptions, optionName, readFileOption, readJsonObjectOption, readJsonOption } from "../../tasks/support";

/** What `fn` throws. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("it did not throw");
}

describe("task options and the environment", function () {
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "careledger-options-"))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("names an option as the command line spells it", function () {
    expect([optionName("file"), optionName("validUntil"), optionName("providerOrg")]).to.deep.equal(["--file", "--valid-until", "--provider-org"]);
  });

  it("a file option that is missing, a folder or not JSON: a UsageError naming the option and the file", function () {
    const missing = path.join(dir, "no-such.json");
    const e = thrown(() => readFileOption("evidence", missing));
    expect(e).to.be.instanceOf(UsageError);
    expect(e.message).to.equal(`--evidence: ${missing}: no such file`);
    expect(thrown(() => readJsonOption("file", dir)).message).to.equal(`--file: ${dir}: a folder, not a file`);
    const notJson = path.join(dir, "profile.json");
    fs.writeFileSync(notJson, "{name: Riverside}\n");
    const bad = thrown(() => readJsonOption("metadata", notJson));
    expect(bad).to.be.instanceOf(UsageError);
    expect(bad.message).to.match(new RegExp(`^--metadata: ${notJson.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is not JSON \\(.+\\)$`));
    const list = path.join(dir, "list.json");
    fs.writeFileSync(list, "[1]");
    expect(thrown(() => readJsonObjectOption("evidence", list, "a map")).message).to.equal(`--evidence: ${list} is not a map (a JSON object)`);
    fs.writeFileSync(list, '{"a":1}');
    expect(readJsonObjectOption("evidence", list, "a map")).to.deep.equal({ a: 1 });
  });

  it("id options: the SDK's INVALID_INPUT naming the option", async function () {
    expect(await idOptions({ plan: "7", provider: " 2 ", org: undefined as string | undefined }, ["plan", "provider", "org"])).to.deep.equal({ plan: 7n, provider: 2n, org: undefined });
    for (const [value, why] of [["abc", '"abc" is not a whole number'], ["0", "0 is not a valid id"], ["1.5", '"1.5" is not a whole number']]) {
      const e = await idOptions({ planId: value }, ["planId"]).then(() => undefined, (err: Error) => err);
      expect(e).to.be.instanceOf(ValidationError);
      expect((e as ValidationError).code).to.equal("INVALID_INPUT");
      expect((e as Error).message).to.contain(`--plan-id: ${why}`);
    }
  });

  it("dates: a day that exists, an ISO date-time with its zone, or seconds where the task takes them", function () {
    expect(dateOption("until", "2030-02-28")).to.equal(Date.UTC(2030, 1, 28) / 1000);
    expect(dateOption("until", "2028-02-29")).to.equal(Date.UTC(2028, 1, 29) / 1000);
    expect(dateOption("start", "2020-01-01T00:00:00Z")).to.equal(1577836800);
    expect(dateOption("start", "2020-01-01T02:30+02:30")).to.equal(1577836800);
    expect(dateOption("start", "2020-01-01T00:00:00.999Z")).to.equal(1577836800);
    expect(dateOption("until", "4102444800", { seconds: true })).to.equal(4102444800);
    expect(dateOption("end", "2026-12-31", { day: true })).to.equal(Date.UTC(2026, 11, 31) / 1000);
  });

  it("dates: an impossible day, a loose string, a time without its zone or seconds where not taken are refused, naming the option", function () {
    const refused: [string, string, Parameters<typeof dateOption>[2]?][] = [
      ["2030-02-30", '--until: "2030-02-30" is not a date: February 2030 has 28 days'],
      ["2029-02-29", '--until: "2029-02-29" is not a date: February 2029 has 28 days'],
      ["2030-04-31", '--until: "2030-04-31" is not a date: April 2030 has 30 days'],
      ["2030-13-01", '--until: "2030-13-01" is not a date: there is no month 13'],
      ["2030-00-10", '--until: "2030-00-10" is not a date: there is no month 00'],
      ["1 2", '--until: "1 2" is not a date: give YYYY-MM-DD, an ISO 8601 date-time with its zone (2030-01-31T12:00:00Z) or seconds since the epoch', { seconds: true }],
      ["March 2, 2030", '--until: "March 2, 2030" is not a date: give YYYY-MM-DD, an ISO 8601 date-time with its zone (2030-01-31T12:00:00Z)'],
      ["2030-01-01T10:00", '--until: "2030-01-01T10:00" is not a date: give YYYY-MM-DD, an ISO 8601 date-time with its zone (2030-01-31T12:00:00Z)'],
      ["2030-01-01T24:00Z", '--until: "2030-01-01T24:00Z" is not a time of day (00:00:00 to 23:59:59)'],
      ["2030-1-1", '--until: "2030-1-1" is not a date: give YYYY-MM-DD, an ISO 8601 date-time with its zone (2030-01-31T12:00:00Z)'],
      ["1960-01-01", '--until: "1960-01-01" is before 1970'],
      ["0070-01-01", '--until: "0070-01-01" is before 1970'],
      ["4102444800", '--until: "4102444800" is not a date: give YYYY-MM-DD, an ISO 8601 date-time with its zone (2030-01-31T12:00:00Z)'],
      ["99999999999999", '--until: "99999999999999" is too far in the future (seconds since the epoch, below 2^40)', { seconds: true }],
      ["2030-01-01T00:00:00Z", '--until: "2030-01-01T00:00:00Z" is not a date: give YYYY-MM-DD', { day: true }],
    ];
    for (const [arg, message, accepts] of refused) {
      const e = thrown(() => dateOption("until", arg, accepts));
      expect(e, arg).to.be.instanceOf(UsageError);
      expect(e.message, arg).to.equal(message);
    }
  });

  it("the environment: a variable left empty (as .env.example has them) or blank is unset; values are trimmed", function () {
    expect(envVar("X", { X: "" })).to.equal(undefined);
    expect(envVar("X", { X: "  " })).to.equal(undefined);
    expect(envVar("X", {})).to.equal(undefined);
    expect(envVar("X", { X: " http://127.0.0.1:8545 " })).to.equal("http://127.0.0.1:8545");
  });

  it("--help says when a conditionally required option is required", function () {
    const description = (task: string, param: string) => hre.tasks[task].paramDefinitions[param].description ?? "";
    for (const p of ["until", "classes", "purposes"]) expect(description("consent:delegate", p), p).to.match(/required unless --remove/);
    expect(description("consent:grant", "commitment")).to.match(/required unless --document/);
    expect(description("consent:grant", "document")).to.match(/required unless --commitment/);
    expect(description("consent:log", "record")).to.match(/required unless --record-id/);
    expect(description("participants:show", "org")).to.match(/required unless --account/);
  });
});
