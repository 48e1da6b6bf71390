with source as (select * from {{ source('raw', 'payments') }})
select
    cast(payment_id as number(38,0)) as payment_id,
    cast(invoice_id as number(38,0)) as invoice_id,
    cast(customer_id as number(38,0)) as customer_id,
    cast(amount as number(18,2)) as amount,
    upper(currency) as currency,
    method as payment_method,
    status as payment_status,
    nullif(failure_reason, '') as failure_reason,
    cast(paid_at as timestamp_ntz) as paid_at,
    cast(paid_at as date) as paid_date
from source
