-- Up Migration
-- Each event keeps its log as the node gave it (address, topics, data, transaction index), so that the
-- SDK can read its histories from the indexer exactly as from a node (GET /logs; sdk/core/indexer.ts).
-- The rows indexed before cannot be given those from the database: they are indexed again, from the
-- suite's deployment block (the next step of the indexer reads them anew).
DELETE FROM events;
DELETE FROM indexed_blocks;
UPDATE indexer_state SET next_block = from_block, updated_at = now();

ALTER TABLE events
  ADD COLUMN address  text    NOT NULL,              -- the emitting contract, lower-case
  ADD COLUMN tx_index integer NOT NULL,
  ADD COLUMN topic0   text    NOT NULL,              -- the event's signature hash
  ADD COLUMN topic1   text,                          -- its indexed arguments, as the node gave them
  ADD COLUMN topic2   text,
  ADD COLUMN topic3   text,
  ADD COLUMN data     text    NOT NULL;              -- its other arguments, ABI-encoded (hex)

-- The SDK's history reads: one event of one contract, by any of its indexed arguments (GET /logs asks for
-- one event at a time: topic0 is required).
CREATE INDEX events_by_topic1 ON events (address, topic0, topic1, block_number, log_index);
CREATE INDEX events_by_topic2 ON events (address, topic0, topic2, block_number, log_index) WHERE topic2 IS NOT NULL;
CREATE INDEX events_by_topic3 ON events (address, topic0, topic3, block_number, log_index) WHERE topic3 IS NOT NULL;

-- Rollbacks of a reorganized tail, counted: a history read page by page across one is read again.
ALTER TABLE indexer_state ADD COLUMN rollbacks bigint NOT NULL DEFAULT 0;

-- Down Migration
ALTER TABLE indexer_state DROP COLUMN rollbacks;
DROP INDEX events_by_topic3;
DROP INDEX events_by_topic2;
DROP INDEX events_by_topic1;
ALTER TABLE events DROP COLUMN address, DROP COLUMN tx_index, DROP COLUMN topic0, DROP COLUMN topic1, DROP COLUMN topic2, DROP COLUMN topic3, DROP COLUMN data;
