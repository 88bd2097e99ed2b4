/** relayer/main.ts's configuration: working defaults, and one line naming the variable when one is wrong. */
import { expect } from "chai";
import { parseEther } from "ethers";
import { relayerConfig } from "../../relayer/main";

const KEY = "0x" + "11".repeat(32);

describe("relayer: configuration from the environment", function () {
  it("starts with working defaults given only its key (empty variables, as .env.example leaves them, are unset)", function () {
    const c = relayerConfig({ RELAYER_SIGNER_KEY: KEY, RELAYER_PORT: "", DATABASE_URL: "" });
    expect(c).to.deep.include({ host: "127.0.0.1", port: 8070, dataDir: ".relayer/pglite", databaseUrl: undefined, gasCap: 500_000n, balanceFloor: parseEther("0.01") });
    expect(c.perPatient).to.deep.equal({ actions: 30, windowSeconds: 3_600 });
  });

  it("names the variable that is missing or wrong, in one line", function () {
    expect(() => relayerConfig({})).to.throw(/^RELAYER_SIGNER_KEY is not set/);
    expect(() => relayerConfig({ RELAYER_SIGNER_KEY: "0x12" })).to.throw(/^RELAYER_SIGNER_KEY is not 0x \+ 64 hex digits$/);
    expect(() => relayerConfig({ RELAYER_SIGNER_KEY: KEY, RELAYER_BALANCE_FLOOR: "lots" })).to.throw(/^RELAYER_BALANCE_FLOOR=lots is not an amount of ETH/);
    expect(() => relayerConfig({ RELAYER_SIGNER_KEY: KEY, RELAYER_GAS_CAP: "100" })).to.throw(/^RELAYER_GAS_CAP=100 is not a whole number from 21000 to 16777216$/);
    expect(() => relayerConfig({ RELAYER_SIGNER_KEY: KEY, RELAYER_PATIENT_RATE_LIMIT: "0" })).to.throw(/^RELAYER_PATIENT_RATE_LIMIT=0/);
  });
});
