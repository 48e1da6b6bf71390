with lines as (select * from {{ ref('stg_invoice_lines') }})
select
    invoice_id,
    count(*) as line_count,
    {{ finsight_utils.to_money('sum(line_amount)') }} as invoice_amount
from lines
group by invoice_id
