-- Receipts are published to an indexer (gateway/publish.ts, when GATEWAY_INDEXER_URL is set), so that a
-- patient reads every gateway's receipts in one place. `published_at` is stamped on an anchored root once
-- the indexer accepted every receipt of it (null until then, and for every root anchored before this
-- migration: those are published too, oldest first, once an indexer is configured). Nothing else changes:
-- a receipt stays readable at the gateway (GET /receipts) whether it is published or not.

-- Up Migration

ALTER TABLE disclosure_roots ADD COLUMN published_at timestamptz;
-- The publisher's query: the anchored roots not yet published, in the order they were anchored on chain.
CREATE INDEX disclosure_roots_unpublished ON disclosure_roots (block_number, created_at, root) WHERE state = 'anchored' AND published_at IS NULL;

-- Down Migration
DROP INDEX disclosure_roots_unpublished;
ALTER TABLE disclosure_roots DROP COLUMN published_at;
