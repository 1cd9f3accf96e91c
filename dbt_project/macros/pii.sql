{#- Applicants' personal data never leaves the raw layer in clear: staging replaces it by a keyed
    HMAC-SHA256 (pgcrypto). The key comes from the environment (MOTCUA_PII_HMAC_KEY) and is kept
    in a one-row table that only the transform role can read; the staging view reads it from
    there, so the key appears neither in the repo, nor in a view definition (pg_views is readable
    by every role), nor in dbt's SQL logs (it is sent as a bind parameter).
    The database keeps the key's fingerprint (pii.key_fingerprint, migration 030): a run with
    another key stops here with one error instead of silently re-keying; `motcua pii rotate-key`
    changes the key on purpose. -#}

{% macro pii_key_relation() -%}intermediate._pii_hmac_key{%- endmacro %}

{% macro install_pii_hmac_key() %}
  {%- if execute -%}
    {%- set key = env_var('MOTCUA_PII_HMAC_KEY', '') -%}
    {%- if key | length < 16 -%}
      {{ exceptions.raise_compiler_error("MOTCUA_PII_HMAC_KEY is missing or shorter than 16 characters: set it in the environment (local runs: .local/secrets.env). It keys the hash that replaces applicants' personal data.") }}
    {%- endif -%}
    {#- first: refuse a key other than the one recorded (recorded on first use; a database that
        already holds a key, from before fingerprints were kept, records that key's) -#}
    {%- if adapter.get_relation(database=target.database, schema='intermediate', identifier='_pii_hmac_key') is not none -%}
      {%- do run_query("insert into pii.key_fingerprint (fingerprint)
          select pii.key_fingerprint(key) from " ~ pii_key_relation() ~ " on conflict (singleton) do nothing") -%}
    {%- endif -%}
    {%- do adapter.add_query("select pii.verify_key(%s)", bindings=[key], abridge_sql_log=True) -%}
    {%- do run_query("create schema if not exists intermediate;
        create table if not exists " ~ pii_key_relation() ~ " (
            singleton boolean primary key default true check (singleton),
            key text not null);
        revoke all on " ~ pii_key_relation() ~ " from public;") -%}
    {%- do adapter.add_query(
        "insert into " ~ pii_key_relation() ~ " (singleton, key) values (true, %s)
         on conflict (singleton) do update set key = excluded.key
         where " ~ pii_key_relation() ~ ".key is distinct from excluded.key",
        bindings=[key], abridge_sql_log=True) -%}
    {%- do adapter.commit() -%}
  {%- endif -%}
  select 1
{% endmacro %}

{#- Hex HMAC-SHA256 of a text value (NULL stays NULL). `key_expr` is the key column joined from
    pii_key_relation(). Values are trimmed first so that stray spaces do not split one person. -#}
{% macro pii_hash(value_expr, key_expr='pii_key.key') -%}
    encode(hmac(nullif(trim({{ value_expr }}), ''), {{ key_expr }}, 'sha256'), 'hex')
{%- endmacro %}
