-- Up Migration
-- The indexer (issue 15): every event of the suite, decoded, and where it stands on the chain.

-- What is indexed, and how far: one row. `next_block` is the first block not yet read; it moves in the
-- same transaction as the events of the blocks before it, so a stop (or a crash) mid-batch resumes there.
CREATE TABLE indexer_state (
  id           boolean     PRIMARY KEY DEFAULT true CHECK (id),
  chain_id     bigint      NOT NULL,
  addresses    jsonb       NOT NULL,                 -- the suite's contracts, by name
  from_block   bigint      NOT NULL,                 -- the suite's deployment block
  next_block   bigint      NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- The hashes of blocks read in the reorganization window (and of every block holding events in it): a
-- stored hash the chain no longer has is a reorganization, rolled back to the last block that still matches.
CREATE TABLE indexed_blocks (
  number       bigint      PRIMARY KEY,
  hash         text        NOT NULL,
  timestamp    bigint      NOT NULL
);

-- Every event of the suite's contracts, decoded by the SDK's interfaces: its arguments as JSON (integers
-- as decimal strings, bytes as hex), and the subjects queries filter on, taken from the arguments.
CREATE TABLE events (
  block_number bigint      NOT NULL,
  log_index    integer     NOT NULL,
  block_hash   text        NOT NULL,
  tx_hash      text        NOT NULL,
  block_time   bigint      NOT NULL,                 -- seconds since the epoch
  contract     text        NOT NULL,                 -- ConsentRegistry, ClaimsEngine, …
  event        text        NOT NULL,                 -- AccessLogged, ClaimSubmitted, …
  args         jsonb       NOT NULL,
  patient      text,                                 -- patient / member (lower-case address)
  org_id       bigint,                               -- orgId / providerOrg / insurerOrgId
  claim_id     text,
  record_id    text,
  plan_id      bigint,
  PRIMARY KEY (block_number, log_index)
);
CREATE INDEX events_by_patient ON events (patient, block_number, log_index) WHERE patient IS NOT NULL;
CREATE INDEX events_by_org ON events (org_id, block_number, log_index) WHERE org_id IS NOT NULL;
CREATE INDEX events_by_claim ON events (claim_id, block_number, log_index) WHERE claim_id IS NOT NULL;
CREATE INDEX events_by_record ON events (record_id, block_number, log_index) WHERE record_id IS NOT NULL;
CREATE INDEX events_by_plan ON events (plan_id, block_number, log_index) WHERE plan_id IS NOT NULL;
CREATE INDEX events_by_name ON events (contract, event, block_number, log_index);

-- Down Migration
DROP TABLE events;
DROP TABLE indexed_blocks;
DROP TABLE indexer_state;
