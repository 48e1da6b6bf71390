with final as (
with open_invoices as (
    select invoice_id, customer_id, due_at, outstanding_amount,
           greatest(datediff('day', due_at, cast('2026-05-01' as timestamp_ntz)), 0) as days_past_due
    from {{ ref('fct_invoices') }}
    where invoice_status = 'open' and outstanding_amount > 0
)
select *,
    case when days_past_due = 0 then 'current' when days_past_due <= 30 then '1-30'
         when days_past_due <= 60 then '31-60' when days_past_due <= 90 then '61-90' else '90+' end as aging_bucket
from open_invoices
)
select
    cast(invoice_id as number(38,0)) as invoice_id,
    cast(customer_id as number(38,0)) as customer_id,
    cast(due_at as timestamp_ntz) as due_at,
    cast(outstanding_amount as number(18,2)) as outstanding_amount,
    cast(days_past_due as number(38,0)) as days_past_due,
    cast(aging_bucket as varchar) as aging_bucket
from final
