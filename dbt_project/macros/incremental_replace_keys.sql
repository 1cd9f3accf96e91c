{#- Custom incremental strategy `replace_keys`: delete every target row whose unique key appears
    in the new batch, then insert the batch rows for which `keep_row_when` holds. A batch row with
    nothing behind it any more (membership_rows = 0) thus deletes a stale KPI row without leaving
    an empty one behind, so incremental results equal a full refresh. -#}
{% macro get_incremental_replace_keys_sql(arg_dict) %}
  {%- set target = arg_dict["target_relation"] -%}
  {%- set source = arg_dict["temp_relation"] -%}
  {%- set keys = arg_dict["unique_key"] if arg_dict["unique_key"] is not string else [arg_dict["unique_key"]] -%}
  {%- set columns = arg_dict["dest_columns"] | map(attribute="quoted") | join(", ") -%}
  {%- set keep = config.get("keep_row_when", "true") -%}
  delete from {{ target }} as target
  using (select distinct {{ keys | join(", ") }} from {{ source }}) as batch
  where {% for k in keys %}target.{{ k }} = batch.{{ k }}{% if not loop.last %} and {% endif %}{% endfor %};

  insert into {{ target }} ({{ columns }})
  select {{ columns }} from {{ source }} where {{ keep }};
{% endmacro %}
