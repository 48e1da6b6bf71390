{# COPY one landed partition from the raw bucket's external stage into RAW.LANDING.<table>.
   Called by the ingestion DAGs: dbt run-operation load_raw --args '{table, prefix, day}'. #}
{% macro load_raw(table, prefix, day) %}
    {% set sql %}
        copy into {{ env_var('FINSIGHT_SNOWFLAKE_RAW_DATABASE') }}.landing.{{ table }}
        from @{{ env_var('FINSIGHT_SNOWFLAKE_RAW_DATABASE') }}.landing.raw_bucket/{{ prefix }}/{{ day }}/
        file_format = (type = parquet) match_by_column_name = case_insensitive
    {% endset %}
    {% do run_query(sql) %}
    {{ log("loaded " ~ prefix ~ "/" ~ day ~ " into landing." ~ table, info=true) }}
{% endmacro %}
