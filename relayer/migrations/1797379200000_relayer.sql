-- Up Migration
-- The relayer's actions (relayer/store.ts): each keyed by the EIP-712 digest its patient signed, so the
-- same signed action posted twice is one row. Recorded (accepted) before anything is paid; its transaction
-- is written here, signed, before it is broadcast (submitted), so a relayer killed at any point finds it
-- again at start and settles it against the chain (relayer/sender.ts).
CREATE TABLE relayer_actions (
  id text PRIMARY KEY,
  kind text NOT NULL,
  patient text NOT NULL,
  body jsonb NOT NULL,
  -- preparing: claimed by a sender, its transaction not yet written (given back if that sender is gone).
  status text NOT NULL CHECK (status IN ('accepted', 'preparing', 'submitted', 'confirmed', 'failed')),
  sender text,
  tx_nonce bigint,
  tx_hash text,
  raw_tx text,
  gas_limit bigint,
  block_number bigint,
  result jsonb,
  reason jsonb,
  accepted_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX relayer_actions_open ON relayer_actions (accepted_at) WHERE status IN ('accepted', 'preparing', 'submitted');
-- A patient's allowance is counted over their recent actions, the relayer's over everyone's.
CREATE INDEX relayer_actions_patient ON relayer_actions (patient, accepted_at);
CREATE INDEX relayer_actions_accepted ON relayer_actions (accepted_at);

-- One process signs with one key at a time: an instance holds its key's lease, renewing it every round.
CREATE TABLE relayer_signers (
  address text PRIMARY KEY,
  instance text NOT NULL,
  lease_until timestamptz NOT NULL
);

-- Down Migration
DROP TABLE relayer_signers;
DROP TABLE relayer_actions;
