with payments as (select * from {{ ref('stg_payments') }} where payment_status = 'succeeded')
select
    invoice_id,
    count(*) as payment_count,
    {{ finsight_utils.to_money('sum(amount)') }} as paid_amount,
    max(paid_at) as last_paid_at
from payments
group by invoice_id
