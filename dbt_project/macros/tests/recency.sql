{#- The newest `field` is no older than `interval` `datepart`s before now (or var as_of). -#}
{% test recency(model, field, datepart, interval, ignore_time_component=false) %}
with newest as (select max({{ field }}) as newest from {{ model }})
select newest
from newest
where newest is null
   or newest < {{ as_of() }} - interval '{{ interval }} {{ datepart }}'
{% endtest %}
