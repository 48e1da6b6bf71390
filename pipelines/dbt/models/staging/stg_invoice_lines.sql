with source as (select * from {{ source('raw', 'invoice_lines') }})
select
    cast(line_id as number(38,0)) as line_id,
    cast(invoice_id as number(38,0)) as invoice_id,
    product,
    cast(quantity as number(38,0)) as quantity,
    cast(unit_price as number(18,2)) as unit_price,
    {{ finsight_utils.to_money('cast(quantity as number(38,0)) * cast(unit_price as number(18,2))') }} as line_amount
from source
