{#- The one place schema naming is decided: a configured schema is used as given (seeds land in
    LANDING), everything else builds into the target schema, which the environment's values set
    (marts in prod, a throw-away schema for gates). No environment names here or in any model. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name if custom_schema_name is not none else target.schema) | trim }}
{%- endmacro %}
