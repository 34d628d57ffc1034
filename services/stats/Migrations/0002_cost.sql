-- What each attempt cost, in US dollars: reported by the provider where it says, else the catalog's
-- estimate. Failed attempts can cost too (some providers charge for refused or canceled work).
ALTER TABLE generation_outcomes ADD COLUMN cost_usd numeric(12, 6) NOT NULL DEFAULT 0 CHECK (cost_usd >= 0);
