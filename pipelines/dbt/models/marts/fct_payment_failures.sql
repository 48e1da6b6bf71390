with final as (
select payment_id, customer_id, payment_method, failure_reason, paid_date, amount, currency from {{ ref('int_payment_failures') }}
)
select
    cast(payment_id as number(38,0)) as payment_id,
    cast(customer_id as number(38,0)) as customer_id,
    cast(payment_method as varchar) as payment_method,
    cast(failure_reason as varchar) as failure_reason,
    cast(paid_date as date) as paid_date,
    cast(amount as number(18,2)) as amount,
    cast(currency as varchar) as currency
from final
