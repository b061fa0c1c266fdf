-- Indexes the pages need once the tables are large (issue 13).

-- An order page names its services: without this every page of orders
-- scanned the whole services table, for every reseller.
CREATE INDEX services_by_order ON services (order_id);

-- The operator's API log filtered by status or by error code (newest
-- first). Error codes are rare and NULL on success: a partial index.
CREATE INDEX api_requests_by_status ON api_requests (status, id);
CREATE INDEX api_requests_by_error ON api_requests (error_code, id) WHERE error_code IS NOT NULL;
