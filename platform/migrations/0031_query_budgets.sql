-- GraphQL query-cost budgets (platform/budget.py): per caller and tenant, a window of
-- JOGO_GRAPHQL_BUDGET_WINDOW seconds in which the costs of its operations are spent, by
-- one atomic upsert shared by every API replica. Control plane: keys are hashes.
--
-- UNLOGGED: a budget is worth a minute and needs no durability. Without WAL the upsert
-- commits without waiting for a flush (measured: median 63 us against 453 us logged), and
-- a crash merely empties the table (every caller starts a fresh minute). Not replicated
-- to standbys, and kept a local table of the Citus coordinator (platform/citus.py).

CREATE UNLOGGED TABLE query_budgets (
    key       text PRIMARY KEY CHECK (length(key) <= 100),
    spent     integer NOT NULL CHECK (spent >= 0),
    refused   boolean NOT NULL DEFAULT false,
    resets_at timestamptz NOT NULL
);
CREATE INDEX query_budgets_resets_idx ON query_budgets (resets_at);
