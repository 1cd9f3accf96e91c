-- Hand the publication history to :"to" (motcua_history seals it, motcua_owner unseals it).
-- Run as a superuser in the project's database, e.g. by services/seal-history.sh, or with
--   psql -U postgres -d motcua -v to=motcua_history -f services/seal-history.sql
-- (the compose stack's equivalent step after `migrate`).
\set QUIET on
set client_min_messages = warning;
begin;
alter table audit.publications owner to :"to";
alter table audit.published_kpi_values owner to :"to";
alter table audit.publication_chain owner to :"to";
alter view audit.kpi_value_revisions owner to :"to";
alter function audit.refuse_history_change() owner to :"to";
alter function audit.stamp_publication() owner to :"to";
alter function audit.publication_digest(bigint) owner to :"to";
alter function audit.chain_publication() owner to :"to";
alter function audit.refuse_values_of_chained() owner to :"to";
alter function audit.published_kpi_values_at(bigint) owner to :"to";
alter function audit.published_kpi_values_as_of(timestamptz) owner to :"to";
alter schema audit owner to :"to";
commit;
