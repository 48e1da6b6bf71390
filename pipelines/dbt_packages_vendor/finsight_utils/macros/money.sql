{# Money is number(18,2) everywhere; conversions round half away from zero like the ledger. #}
{% macro to_money(expression) -%}
    cast(round({{ expression }}, 2) as number(18,2))
{%- endmacro %}

{% macro safe_divide(numerator, denominator) -%}
    case when {{ denominator }} = 0 or {{ denominator }} is null then null
         else {{ numerator }} / {{ denominator }} end
{%- endmacro %}
