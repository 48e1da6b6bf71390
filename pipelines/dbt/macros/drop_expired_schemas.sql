{# Drop throw-away schemas (gate runs, ephemeral environments) older than max_age_hours.
   They are recognised by the comment parity sets when it creates them, not by their names. #}
{% macro drop_expired_schemas(max_age_hours=48) %}
    {% set query %}
        select schema_name from {{ target.database }}.information_schema.schemata
        where comment = 'parity:throwaway'
          and created < dateadd(hour, -{{ max_age_hours }}, current_timestamp())
    {% endset %}
    {% for row in run_query(query) %}
        {% do run_query("drop schema if exists " ~ target.database ~ "." ~ row[0] ~ " cascade") %}
        {{ log("dropped " ~ row[0], info=true) }}
    {% endfor %}
{% endmacro %}
