{#- One event per case of the given type, the first or the latest by occurred_at (never arrival
    order; event_id breaks a tie, so a duplicated delivery gives the same row): case_id and the
    select-list items `columns` of int_case_events_scoped. The body of one CTE of
    int_case_milestones, each reading the table itself (see the note there). -#}
{% macro case_event_pick(event_type, columns, which='first') -%}
    {%- if which not in ('first', 'latest') %}
        {{- exceptions.raise_compiler_error("case_event_pick: which is 'first' or 'latest', not '" ~ which ~ "'") }}
    {%- endif -%}
    select distinct on (case_id)
        case_id,
        {%- for column in columns %}
        {{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref('int_case_events_scoped') }}
    where event_type = '{{ event_type }}'
    order by case_id, {{ 'occurred_at desc, event_id desc' if which == 'latest' else 'occurred_at, event_id' }}
{%- endmacro %}
