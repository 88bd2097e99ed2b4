-- Receipts are published to an indexer instance, not to an address: an indexer re-indexed into a fresh database
-- (docs/indexer.md, after a halt), or another indexer at a new GATEWAY_INDEXER_URL, holds none of the receipts
-- published before. `published_to` records which indexer instance took the root (the `instance` its
-- `GET /status` and `POST /receipts` answer, or, from an indexer that names none, its origin); `published_at`
-- keeps its meaning for the instance the gateway publishes to now. At the start of every round the publisher
-- (gateway/publish.ts) asks the indexer for its instance and clears `published_at` of the roots another
-- instance took, which are then sent again, oldest first, as unpublished ones are. Roots stamped before this
-- migration name no instance: they are sent once more (the indexer stores a receipt once: a request each).

-- Up Migration

ALTER TABLE disclosure_roots ADD COLUMN published_to text;
-- The round's first statement: the stamped roots another instance took (none, but after a change: three
-- short index ranges, `IS NULL`, `< $1` and `> $1`, instead of reading every root ever published).
CREATE INDEX disclosure_roots_published_to ON disclosure_roots (published_to) WHERE state = 'anchored' AND published_at IS NOT NULL;

-- Down Migration
DROP INDEX disclosure_roots_published_to;
ALTER TABLE disclosure_roots DROP COLUMN published_to;
