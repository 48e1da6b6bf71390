with final as (
select payment_id, invoice_id, customer_id, payment_method, payment_status, amount, currency, paid_at, is_customer_match
from {{ ref('int_payments_matched') }}
)
select
    cast(payment_id as number(38,0)) as payment_id,
    cast(invoice_id as number(38,0)) as invoice_id,
    cast(customer_id as number(38,0)) as customer_id,
    cast(payment_method as varchar) as payment_method,
    cast(payment_status as varchar) as payment_status,
    cast(amount as number(18,2)) as amount,
    cast(currency as varchar) as currency,
    cast(paid_at as timestamp_ntz) as paid_at,
    cast(is_customer_match as boolean) as is_customer_match
from final
