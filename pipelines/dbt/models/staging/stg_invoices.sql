with source as (select * from {{ source('raw', 'invoices') }})
select
    cast(invoice_id as number(38,0)) as invoice_id,
    cast(customer_id as number(38,0)) as customer_id,
    cast(issued_at as timestamp_ntz) as issued_at,
    cast(due_at as timestamp_ntz) as due_at,
    upper(currency) as currency,
    status as invoice_status
from source
