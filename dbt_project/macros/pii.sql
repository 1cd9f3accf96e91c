{#- Applicants' personal data never leaves the raw layer in clear: staging replaces it by a keyed
    HMAC-SHA256 (pgcrypto). The key comes from the environment (MOTCUA_PII_HMAC_KEY) and is kept
    in a one-row table that only the transform role can read; the staging view reads it from
    there, so the key appears neither in the repo, nor in a view definition (pg_views is readable
    by every role), nor in dbt's SQL logs (it is sent as a bind parameter). -#}

{% macro pii_key_relation() -%}intermediate._pii_hmac_key{%- endmacro %}

{% macro install_pii_hmac_key() %}
  {%- if execute -%}
    {%- set key = env_var('MOTCUA_PII_HMAC_KEY', '') -%}
    {%- if key | length < 16 -%}
      {{ exceptions.raise_compiler_error("MOTCUA_PII_HMAC_KEY is missing or shorter than 16 characters: set it in the environment (local runs: .local/secrets.env). It keys the hash that replaces applicants' personal data.") }}
    {%- endif -%}
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
