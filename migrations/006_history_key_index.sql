-- A publication that copies only what the night touched looks up the latest recorded value of
-- each touched KPI key and measure: one index probe each, instead of reading the whole history.
create index if not exists published_kpi_values_key_idx
    on audit.published_kpi_values (table_name, grain, measure, publication_id desc);
